//! How `incontext reproduce` runs: scale (`--quick`), step budget, which models to train or
//! load, evaluation size and seed, and where files go.

use crate::eval::{DEFAULT_PROMPTS, DEFAULT_RESAMPLES};
use std::path::PathBuf;

/// Prompts per evaluation in `--quick` mode.
const QUICK_PROMPTS: usize = 32;
/// Bootstrap resamples per interval in `--quick` mode.
const QUICK_RESAMPLES: usize = 100;
/// Steps of every `--quick` model.
pub(super) const QUICK_STEPS: u64 = 40;
/// The Bayes posterior in `--quick` mode: coarser ω grid, fewer directions and Monte-Carlo
/// draws (the default is `bayes`, [`crate::baselines::BayesConfig::default`]).
const QUICK_BAYES: &str = "bayes(omega_grid=50,directions=8,mc_draws=64)";
/// How to run the experiments.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Toy scale: tiny models, few steps, few prompts.
    pub quick: bool,
    /// Overrides every trained model's total steps (a compute budget; recorded).
    pub steps: Option<u64>,
    /// Use the shipped model-zoo files for the models that name one ([`ModelDef::zoo`]).
    pub zoo: bool,
    /// Train nothing: evaluate only the models already trained to their step count (or from
    /// the zoo); experiments skip what is missing and record it.
    pub no_train: bool,
    /// Prompts per evaluation (default 1280, or 32 with `quick`).
    pub prompts: Option<usize>,
    /// Seed of the evaluation prompts and bootstrap resamples.
    pub seed: u64,
    /// Folder of the results (`<E>.json`, `.md`, `.svg`).
    pub out: PathBuf,
    /// Folder of the trained models, their configs, checkpoints and logs.
    pub models: PathBuf,
    /// The models folder as written into the results (the default one, so that results do
    /// not depend on where a test put its files).
    pub models_label: String,
}

impl Options {
    pub(super) fn prompts(&self) -> usize {
        self.prompts.unwrap_or(if self.quick { QUICK_PROMPTS } else { DEFAULT_PROMPTS })
    }

    /// The label of the Bayes posterior used (see [`crate::baselines::predictor_from_name`]).
    pub(super) fn bayes(&self) -> &'static str {
        if self.quick { QUICK_BAYES } else { "bayes" }
    }

    pub(super) fn resamples(&self) -> usize {
        if self.quick { QUICK_RESAMPLES } else { DEFAULT_RESAMPLES }
    }

    /// The command that regenerates experiment `id` with these options (output folders left
    /// at their defaults).
    pub fn command(&self, id: &str) -> String {
        let mut cmd = format!("incontext reproduce {id}");
        if self.quick {
            cmd += " --quick";
        }
        if let Some(steps) = self.steps {
            cmd += &format!(" --steps {steps}");
        }
        if self.zoo {
            cmd += " --zoo";
        }
        if self.no_train {
            cmd += " --no-train";
        }
        if let Some(prompts) = self.prompts {
            cmd += &format!(" --prompts {prompts}");
        }
        if self.seed != 0 {
            cmd += &format!(" --seed {}", self.seed);
        }
        cmd
    }
}

