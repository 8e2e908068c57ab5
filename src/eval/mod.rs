//! The evaluation harness (docs/SCIENCE.md, "Metrics"): NSE(k) over seeded prompts with percentile
//! bootstrap intervals, NLL, central-interval coverage and PIT histograms for predictors that
//! return distributions, and the mean probability of the true family; written as JSON
//! ([`EvalReport`]) and drawn as SVG ([`figures`]).
//!
//! Every predictor is scored through the one [`crate::predictive::Predictor`] interface, on
//! the same prompts ([`Evaluation`]), so baselines, the exact Bayes posterior and the
//! transformer are compared alike.

mod bar_floor;
mod bootstrap;
mod card;
mod harness;
mod plot;

pub use bar_floor::BarFloor;
pub use bootstrap::{Bootstrap, Estimate};
pub use card::{Averages, CardInputs, TrainingLog, card_markdown, find, out_of_distribution_families};
pub use harness::{
    DEFAULT_LEVEL, DEFAULT_PROMPTS, DEFAULT_RESAMPLES, EvalConfig, EvalReport, Evaluation, PIT_BINS, PredictorReport,
    evaluate,
};
pub use plot::figures;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) use plot::{Series, Slice, XAxis, pit_chart, slices_chart, value_chart};

use crate::error::{Result, invalid};
use crate::predictive::Predictor;
use crate::tasks::{Mixture, NoiseRange};

/// Builds a predictor from its label: `transformer:<path>` (a trained model's weight file;
/// native only) or any baseline name that [`crate::baselines::predictor_from_name`] knows
/// (`least_squares`, `lasso(alpha=0.01)`, `bayes`, …). `mixture` is the pretraining mixture, `noise` its noise range and `d_eff` the
/// number of active input coordinates (read by `bayes`).
///
/// # Errors
/// [`crate::Error::InvalidInput`] for an unknown label or bad arguments; I/O and
/// [`crate::Error::InvalidWeights`] errors for a model file.
pub fn resolve_predictor(name: &str, mixture: &Mixture, noise: NoiseRange, d_eff: usize) -> Result<Box<dyn Predictor>> {
    #[cfg(not(target_arch = "wasm32"))]
    if let Some(path) = name.strip_prefix("transformer:") {
        let bytes = crate::error::read_file(std::path::Path::new(path))?;
        return Ok(Box::new(crate::model::TransformerPredictor::from_bytes(&bytes, path)?));
    }
    crate::baselines::predictor_from_name(name, mixture, noise, d_eff)
}

/// Splits a predictor list such as `least_squares,lasso(alpha=0.01),bayes` at the commas that
/// are outside parentheses.
///
/// # Errors
/// [`crate::Error::InvalidInput`] for unbalanced parentheses or an empty entry.
pub fn split_predictor_list(list: &str) -> Result<Vec<String>> {
    let names = crate::tasks::split_top_level(list, ',')?;
    if names.is_empty() || names.iter().any(String::is_empty) {
        return invalid(format!("predictor list '{list}' has an empty entry"));
    }
    Ok(names)
}

/// Writes `report.json` and every figure of [`figures`] into `dir` (created if missing) and
/// returns the paths written.
///
/// # Errors
/// [`crate::Error::Io`] naming the path that failed; [`crate::Error::Format`] if drawing or
/// serialising fails.
#[cfg(not(target_arch = "wasm32"))]
pub fn write_report(report: &EvalReport, dir: &std::path::Path) -> Result<Vec<std::path::PathBuf>> {
    let json = serde_json::to_string_pretty(report).map_err(|e| crate::Error::Format(e.to_string()))?;
    let mut files = vec![("report.json".to_string(), json)];
    files.extend(figures(report)?);
    files
        .into_iter()
        .map(|(name, text)| {
            let path = dir.join(name);
            crate::error::write_file(&path, text.as_bytes())?;
            Ok(path)
        })
        .collect()
}
