//! Baselines (docs/SCIENCE.md, "Baselines"; Garg et al. 2022, §3 and their reference code): least
//! squares, ridge, Lasso, k-nearest neighbours, averaging, the constant zero, and the exact
//! Bayes posterior predictive of a pretraining [`Mixture`]. Every baseline implements
//! [`Predictor`] and predicts 0 on an empty context.
//!
//! [`predictor_from_name`] builds any of them from its text label (the eval CLI's
//! `--predictors` list), and [`default_baselines`] picks the ones relevant to a mixture, as
//! `get_relevant_baselines` does in Garg et al.'s reference code.

mod averaging;
mod bayes;
mod knn;
mod lasso;
mod least_squares;
mod ridge;

pub use averaging::Averaging;
pub use bayes::{BayesConfig, BayesFit, BayesPosterior, OmegaPosterior, covering_prior};
pub use knn::NearestNeighbours;
pub use lasso::{Lasso, lasso_alpha_grid, lasso_path};
pub use least_squares::{LeastSquares, with_intercept};
pub use ridge::Ridge;

use crate::error::{Result, invalid};
use crate::predictive::{Predictive, Predictor, validate_queries};
use crate::tasks::{Context, FamilySpec, LabelArgs, Mixture, NoiseRange};
use nalgebra::{DMatrix, DVector};

/// Predicts 0 everywhere: the reference point of the normalised squared error (NSE = 1).
#[derive(Clone, Copy, Debug, Default)]
pub struct Zero;

impl Predictor for Zero {
    fn name(&self) -> String {
        "zero".into()
    }

    fn predict(&self, context: &Context, queries: &[f64]) -> Result<Vec<Predictive>> {
        let q = validate_queries(context.d, queries)?;
        Ok(vec![Predictive::point(0.0); q])
    }
}

/// The names [`predictor_from_name`] knows, in the form it accepts (defaults shown).
pub const KNOWN_PREDICTORS: &[&str] =
    &["least_squares", "least_squares(intercept)", "ridge(lambda=0.1)", "lasso(alpha=0.01)", "lasso(alpha=0.01,intercept)", "knn(k=3)", "averaging", "bayes", "zero"];

/// Builds a baseline from its label: `least_squares` (`least_squares(intercept)` with an
/// intercept), `ridge(lambda=0.1)`, `lasso(alpha=0.01)` (`lasso(alpha=0.01,intercept)`),
/// `knn(k=3)`, `averaging`, `zero`, or `bayes` (optionally
/// `bayes(omega_grid=200,directions=32,sigma_grid=8,mc_draws=512,seed=0)`, see
/// [`BayesConfig`]). Arguments left out take the defaults shown. `mixture`, `noise` and `d`
/// (the number of active input coordinates, `d_eff`) are read by `bayes` only.
///
/// # Errors
/// [`crate::Error::InvalidInput`] for an unknown name (the message lists the known ones), an
/// unknown or malformed argument, or parameters a constructor rejects (e.g. `bayes` for a
/// mixture with a `convex` family).
pub fn predictor_from_name(name: &str, mixture: &Mixture, noise: NoiseRange, d: usize) -> Result<Box<dyn Predictor>> {
    let (base, mut args) = LabelArgs::parse(name, "predictor")?;
    let predictor: Box<dyn Predictor> = match base {
        "least_squares" => Box::new(LeastSquares { intercept: args.flag("intercept")? }),
        "ridge" => Box::new(Ridge::new(args.number("lambda", 0.1)?)?),
        "lasso" => Box::new(Lasso::new(args.number("alpha", 0.01)?, args.flag("intercept")?)?),
        "knn" => Box::new(NearestNeighbours::new(args.count("k", 3)?)?),
        "averaging" => Box::new(Averaging),
        "zero" => Box::new(Zero),
        "bayes" => {
            let default = BayesConfig::default();
            let config = BayesConfig {
                omega_grid: args.count("omega_grid", default.omega_grid)?,
                directions: args.count("directions", default.directions)?,
                sigma_grid: args.count("sigma_grid", default.sigma_grid)?,
                mc_draws: args.count("mc_draws", default.mc_draws)?,
                sigma_floor: args.number("sigma_floor", default.sigma_floor)?,
                seed: args.count("seed", default.seed as usize)? as u64,
            };
            Box::new(BayesPosterior::with_config(mixture, noise, d, config)?)
        }
        other => {
            return invalid(format!("unknown predictor '{other}' (known: {})", KNOWN_PREDICTORS.join(", ")));
        }
    };
    args.finish()?;
    Ok(predictor)
}

/// The baselines relevant to a pretraining mixture, as labels for [`predictor_from_name`]:
/// always least squares (with an intercept when a family has a bias), 3-nearest neighbours and
/// averaging (Garg et al.'s set for every task); Lasso when a family is sparse (with an
/// intercept when a family has a bias); the Bayes posterior unless a family is `convex`
/// (evaluation-only, so it has no pretraining prior).
pub fn default_baselines(mixture: &Mixture) -> Vec<String> {
    let has = |pred: fn(&FamilySpec) -> bool| mixture.components.iter().any(|c| pred(&c.family));
    let mut names: Vec<String> = [least_squares_label(mixture), "knn(k=3)", "averaging"].map(String::from).to_vec();
    if has(|f| matches!(f, FamilySpec::SparseLinear { .. })) {
        names.push(if needs_intercept(mixture) { "lasso(alpha=0.01,intercept)" } else { "lasso(alpha=0.01)" }.into());
    }
    if !has(|f| matches!(f, FamilySpec::Convex { .. })) {
        names.push("bayes".into());
    }
    names
}

/// The least-squares baseline for a mixture: `least_squares(intercept)` when a family has a
/// bias ([`FamilySpec::has_bias`]), else `least_squares`.
pub fn least_squares_label(mixture: &Mixture) -> &'static str {
    if needs_intercept(mixture) { "least_squares(intercept)" } else { "least_squares" }
}

/// Whether a linear baseline for `mixture` should fit an intercept: some family has an offset.
fn needs_intercept(mixture: &Mixture) -> bool {
    mixture.components.iter().any(|c| c.family.has_bias())
}

/// The context's inputs as a `[k, d]` matrix and targets as a `[k]` vector.
fn design(context: &Context) -> (DMatrix<f64>, DVector<f64>) {
    (DMatrix::from_row_slice(context.len(), context.d, context.xs), DVector::from_column_slice(context.ys))
}

/// Shared `predict` of the linear baselines: validates `queries` (`[q, d]`), returns 0 on an
/// empty context, else fits `w` (`[d]`) once and predicts `ŷ = w·x` at every query.
fn predict_linear(
    context: &Context,
    queries: &[f64],
    fit: impl FnOnce(&Context) -> Result<Vec<f64>>,
) -> Result<Vec<Predictive>> {
    let q = validate_queries(context.d, queries)?;
    if context.is_empty() {
        return Ok(vec![Predictive::point(0.0); q]);
    }
    let w = fit(context)?;
    Ok(queries.chunks_exact(context.d).map(|x| Predictive::point(dot(&w, x))).collect())
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

#[cfg(test)]
mod tests;
