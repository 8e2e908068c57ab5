//! `incontext reproduce` (native only): the experiments of docs/SCIENCE.md ("Experiments E1–E8")
//! as data, and one runner that trains (or resumes) the models each needs, scores them with the
//! evaluation harness ([`crate::eval`]) against the baselines and the exact Bayes
//! posterior, and writes `<E>.json` (every size, step count, seed and series, and the command
//! that regenerates it), `<E>.md` (summary tables) and `<E>.svg` (plus further figures).
//!
//! An experiment is an [`ExperimentDef`]: the models it is about and a [`Study`], the kind of
//! comparison (NSE curves, selection cost against specialists, a `convex(α)` sweep, an ω sweep,
//! calibration). [`run_experiment`] interprets it; nothing is written per experiment.
//!
//! Models are [`ModelDef`]s: a preset of `presets/` (optionally with another mixture, for the
//! specialists that have no preset of their own). `--quick` shrinks every model and evaluation
//! to toy size (a 1-layer, 16-wide model, 40 steps, 32 prompts) so that all eight experiments
//! run in seconds; its results go to their own folder.

mod models;
mod options;
mod report;
mod runner;

pub use models::{LoadedModel, ModelRecord, ensure_model, model_config};
pub use options::Options;
pub use report::{ExperimentOutput, PanelReport, Table};
pub use runner::run_experiment;

use crate::error::{Result, invalid};

/// A model an experiment needs: a preset, optionally with another pretraining mixture.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ModelDef {
    /// File stem under the models folder (`<name>.safetensors`, `.toml`, `.ckpt.safetensors`,
    /// `.log.csv`).
    pub name: &'static str,
    /// The preset of `presets/` it derives from (architecture, optimiser, steps, seed).
    pub preset: &'static str,
    /// Replaces the preset's mixture (specialists without a preset of their own).
    pub mixture: Option<&'static str>,
    /// A shipped model-zoo file used instead of training when `--zoo` is given (1-D models).
    pub zoo: Option<&'static str>,
}

/// Every model of E1–E8. All d = 5 models share the architecture of `e1-linear` (4 layers,
/// 64 wide, 6000 steps, seed 1), so they differ only in the mixture.
pub const MODELS: &[ModelDef] = &[
    ModelDef { name: "e1-linear", preset: "e1-linear", mixture: None, zoo: None },
    ModelDef { name: "e2-sparse-linear", preset: "e2-sparse-linear", mixture: None, zoo: None },
    ModelDef { name: "e3-linear+sparse", preset: "e3-linear+sparse", mixture: None, zoo: None },
    ModelDef { name: "e4-linear+relu", preset: "e4-linear+relu", mixture: None, zoo: None },
    // Specialist for E4's second family (no preset of its own).
    ModelDef { name: "e4-relu-net", preset: "e1-linear", mixture: Some("relu_net(hidden=100)"), zoo: None },
    // Specialist for E5's minority family.
    ModelDef { name: "e5-sinusoid", preset: "e1-linear", mixture: Some("sinusoid(omega_lo=0.5,omega_hi=2.5)"), zoo: None },
    ModelDef { name: "e5-minority-0.1", preset: "e5-minority-0.1", mixture: None, zoo: None },
    ModelDef { name: "e5-minority-0.01", preset: "e5-minority-0.01", mixture: None, zoo: None },
    ModelDef { name: "e5-minority-0", preset: "e5-minority-0", mixture: None, zoo: None },
    // Also E5's weight-0.5 model (the same config as the e5-minority-0.5 preset).
    ModelDef { name: "e6-linear+sinusoid", preset: "e6-linear+sinusoid", mixture: None, zoo: None },
    ModelDef {
        name: "e6-linear+sinusoid-1d",
        preset: "e6-linear+sinusoid-1d",
        mixture: None,
        zoo: Some("www/models/linear+sinusoid.safetensors"),
    },
    ModelDef { name: "e7-sinusoid-band", preset: "e7-sinusoid-band", mixture: None, zoo: None },
    ModelDef {
        name: "e7-sinusoid-band-1d",
        preset: "e6-linear+sinusoid-1d",
        mixture: Some("sinusoid(omega_lo=1,omega_hi=2)"),
        zoo: Some("www/models/sinusoid.safetensors"),
    },
];

/// What an experiment compares.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Study {
    /// NSE(k) of each model on prompts from its own mixture, beside the baselines relevant to
    /// the mixture (least squares, 3-NN, averaging, Lasso for sparse families, Bayes).
    Curves,
    /// For each family of the first model's mixture: every model against the specialist
    /// trained on that family alone; selection cost `NSE_mixture(k) − NSE_specialist(k)`.
    Selection {
        /// Models trained on one family each.
        specialists: &'static [&'static str],
    },
    /// Prompts from `convex(α, f1, f2)` of each model's two families, for every α; 1-D models
    /// also get slices of their predictions against the truth at the `slices` values of α.
    Convex { alphas: &'static [f64], slices: &'static [f64] },
    /// Prompts from sinusoids of one frequency ω, on a grid around each model's trained band
    /// `[lo, hi]`: `lo·below`, 5 points spanning the band, `hi·above`.
    Omega { below: &'static [f64], above: &'static [f64] },
    /// NLL, central-interval coverage, PIT and family belief of each model against the Bayes
    /// posterior of its pretraining prior, in distribution and out of it (`convex(0.5)`;
    /// sinusoids below and above the band).
    Calibration,
}

/// One experiment of docs/SCIENCE.md, "Experiments E1–E8".
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ExperimentDef {
    /// `E1` … `E8`.
    pub id: &'static str,
    /// One line.
    pub title: &'static str,
    /// The question it answers (the "question" column of docs/SCIENCE.md, "Experiments E1–E8").
    pub question: &'static str,
    /// The models it is about (names in [`MODELS`]).
    pub models: &'static [&'static str],
    /// The comparison.
    pub study: Study,
}

/// The α grid of E6 (α = 0, 0.1, …, 1; docs/SCIENCE.md, "Experiments E1–E8").
const ALPHAS: &[f64] = &[0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

/// E1–E8 (docs/SCIENCE.md, "Experiments E1–E8").
pub const EXPERIMENTS: &[ExperimentDef] = &[
    ExperimentDef {
        id: "E1",
        title: "Dense linear regression: the transformer against least squares, 3-NN and averaging",
        question: "Does a model pretrained on linear functions track least squares, NSE ≈ max(0, 1 − k/(d + 1)) with an intercept (1 − k/d without)?",
        models: &["e1-linear"],
        study: Study::Curves,
    },
    ExperimentDef {
        id: "E2",
        title: "Sparse linear regression (s = 2): the transformer against Lasso and the Bayes posterior",
        question: "Does a model pretrained on 2-sparse linear functions beat least squares and come near Lasso / Bayes?",
        models: &["e2-sparse-linear"],
        study: Study::Curves,
    },
    ExperimentDef {
        id: "E3",
        title: "Model selection between linear and sparse linear (50/50)",
        question: "Is the selection cost NSE_mixture − NSE_specialist near zero on each family?",
        models: &["e3-linear+sparse"],
        study: Study::Selection { specialists: &["e1-linear", "e2-sparse-linear"] },
    },
    ExperimentDef {
        id: "E4",
        title: "Model selection between linear and 2-layer ReLU nets (50/50)",
        question: "Is the selection cost near zero on each family?",
        models: &["e4-linear+relu"],
        study: Study::Selection { specialists: &["e1-linear", "e4-relu-net"] },
    },
    ExperimentDef {
        id: "E5",
        title: "Minority family weight 0.5, 0.1, 0.01, 0 (linear majority, sinusoid minority)",
        question: "Does the cost on the minority family grow as its pretraining weight shrinks?",
        models: &["e6-linear+sinusoid", "e5-minority-0.1", "e5-minority-0.01", "e5-minority-0"],
        study: Study::Selection { specialists: &["e1-linear", "e5-sinusoid"] },
    },
    ExperimentDef {
        id: "E6",
        title: "Convex combinations α·linear + (1 − α)·sinusoid, outside the pretraining mixture",
        question: "Good at α = 0 and 1, poor between; do predictions snap to one family?",
        models: &["e6-linear+sinusoid-1d", "e6-linear+sinusoid"],
        study: Study::Convex { alphas: ALPHAS, slices: &[0.0, 0.25, 0.5, 0.75, 1.0] },
    },
    ExperimentDef {
        id: "E7",
        title: "Sinusoid frequencies outside the trained band",
        question: "Does the error rise outside the trained band of ω, on both sides?",
        models: &["e7-sinusoid-band-1d", "e7-sinusoid-band"],
        study: Study::Omega { below: &[0.1, 0.25, 0.5, 0.75], above: &[1.25, 1.5, 2.0, 3.0] },
    },
    ExperimentDef {
        id: "E8",
        title: "Calibration: NLL, coverage, PIT and family belief against the Bayes posterior",
        question: "Is the predictive distribution calibrated in distribution and overconfident out of it?",
        models: &["e3-linear+sparse", "e6-linear+sinusoid-1d", "e6-linear+sinusoid", "e7-sinusoid-band-1d", "e7-sinusoid-band"],
        study: Study::Calibration,
    },
];

/// The experiment `id` (`E1` … `E8`, case-insensitive).
///
/// # Errors
/// [`crate::Error::InvalidInput`] for an unknown id (the message lists the known ones).
pub fn experiment(id: &str) -> Result<&'static ExperimentDef> {
    EXPERIMENTS.iter().find(|e| e.id.eq_ignore_ascii_case(id)).map_or_else(
        || invalid(format!("unknown experiment '{id}' (known: {}, all)", EXPERIMENTS.iter().map(|e| e.id).collect::<Vec<_>>().join(", "))),
        Ok,
    )
}

/// The model `name` of [`MODELS`].
///
/// # Errors
/// [`crate::Error::InvalidInput`] for an unknown name.
pub fn model_def(name: &str) -> Result<&'static ModelDef> {
    MODELS.iter().find(|m| m.name == name).map_or_else(|| invalid(format!("unknown reproduction model '{name}'")), Ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tasks::{FamilySpec, Mixture};

    #[test]
    fn every_experiment_names_known_models_whose_configs_are_valid() {
        for e in EXPERIMENTS {
            let specialists = match e.study {
                Study::Selection { specialists } => specialists,
                _ => &[],
            };
            for name in e.models.iter().chain(specialists) {
                let def = model_def(name).unwrap();
                for quick in [false, true] {
                    let config = model_config(def, quick, None).unwrap();
                    if quick {
                        assert_eq!((config.steps, config.model.n_layer), (40, 1), "{name}");
                    } else {
                        assert_eq!((config.steps, config.model.n_layer), (6000, 4), "{name}");
                    }
                }
            }
        }
        assert_eq!(experiment("e6").unwrap().id, "E6");
        assert!(experiment("E9").is_err());
    }

    #[test]
    fn each_selection_family_has_exactly_one_specialist() {
        for e in EXPERIMENTS {
            let Study::Selection { specialists } = e.study else { continue };
            let mixture = Mixture::parse(&model_config(model_def(e.models[0]).unwrap(), false, None).unwrap().mixture).unwrap();
            for c in &mixture.components {
                let matching: Vec<&str> = specialists
                    .iter()
                    .copied()
                    .filter(|s| {
                        let m = Mixture::parse(&model_config(model_def(s).unwrap(), false, None).unwrap().mixture).unwrap();
                        m.components.len() == 1 && m.components[0].family == c.family
                    })
                    .collect();
                assert_eq!(matching.len(), 1, "{}: family {} has specialists {matching:?}", e.id, c.family);
            }
        }
        // E5's minority family is the sinusoid of the e5 presets.
        let e5 = Mixture::parse(&model_config(model_def("e5-minority-0.01").unwrap(), false, None).unwrap().mixture).unwrap();
        assert_eq!(e5.components[1].family, FamilySpec::Sinusoid { omega_lo: 0.5, omega_hi: 2.5 });
        assert!((e5.probabilities()[1] - 0.01).abs() < 1e-12);
    }
}
