//! What an experiment writes: the results JSON (`<E>.json`) and its Markdown page (`<E>.md`).

use super::models::ModelRecord;
use crate::eval::EvalReport;
use serde::Serialize;
use std::fmt::Write;

/// One set of prompts and the predictors scored on it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PanelReport {
    /// What the prompts are, e.g. `α = 0.5` or `prompts from linear`.
    pub label: String,
    /// The mixture each predictor was built for, in report order.
    pub built_for: Vec<String>,
    /// The harness report (settings, seed, one series per predictor).
    pub report: EvalReport,
}

/// A summary table (also rendered into `<E>.md`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Table {
    pub caption: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    fn markdown(&self) -> String {
        let mut s = format!("{}\n\n| {} |\n|{}\n", self.caption, self.header.join(" | "), "---|".repeat(self.header.len()));
        for row in &self.rows {
            s += &format!("| {} |\n", row.join(" | "));
        }
        s
    }
}

/// Everything `<E>.json` holds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExperimentOutput {
    pub experiment: String,
    pub title: String,
    pub question: String,
    /// The command that regenerates this file.
    pub command: String,
    pub quick: bool,
    /// Prompts per evaluation, bootstrap resamples and level, seed of the prompts.
    pub prompts: usize,
    pub resamples: usize,
    pub level: f64,
    pub seed: u64,
    /// The Bayes posterior's settings (`bayes` = the defaults of `BayesConfig`).
    pub bayes: String,
    /// Every model involved (the experiment's and the specialists).
    pub models: Vec<ModelRecord>,
    /// Parts of the study skipped because a model is missing (`--no-train`).
    pub skipped: Vec<String>,
    pub tables: Vec<Table>,
    pub figures: Vec<String>,
    pub panels: Vec<PanelReport>,
}

pub(super) fn f4(v: f64) -> String {
    format!("{v:.4}")
}

pub(super) fn opt4(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), f4)
}

/// `<E>.md`: the question, the models (every size, step count and seed), the figures, the
/// tables and what was skipped.
pub(super) fn markdown(o: &ExperimentOutput) -> String {
    let mut s = format!("# {}: {}\n\n{}\n\nRegenerate: `{}`\n\n", o.experiment, o.title, o.question, o.command);
    let _ = writeln!(s, "{} prompts per evaluation (seed {}), {:.0}% bootstrap intervals from {} resamples.\n", o.prompts, o.seed, o.level * 100.0, o.resamples);
    let _ = writeln!(s, "| model | source | mixture | d | layers × width | params | steps | seed |\n|---|---|---|---|---|---|---|---|");
    for m in &o.models {
        let arch = m.architecture.as_ref().map_or("—".into(), |a| format!("{} × {}", a.n_layer, a.n_embd));
        let _ = writeln!(
            s,
            "| {} | {} | `{}` | {} | {arch} | {} | {} | {} |",
            m.name,
            m.source,
            m.mixture.clone().or_else(|| m.config.as_ref().map(|c| c.mixture.clone())).unwrap_or_else(|| format!("{} (missing)", m.file)),
            m.architecture.as_ref().map_or("—".into(), |a| a.n_dims.to_string()),
            m.parameters.map_or("—".into(), |p| p.to_string()),
            m.steps_trained.map_or("—".into(), |p| p.to_string()),
            m.seed.map_or("—".into(), |p| p.to_string()),
        );
    }
    for f in &o.figures {
        let _ = writeln!(s, "\n![{f}]({f})");
    }
    for t in &o.tables {
        let _ = writeln!(s, "\n{}", t.markdown());
    }
    for skip in &o.skipped {
        let _ = writeln!(s, "- skipped: {skip}");
    }
    s
}

