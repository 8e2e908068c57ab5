//! The models of the experiments: each trained, resumed from its checkpoint, or loaded (from
//! the zoo with `--zoo`), with the record the results keep of it.

use super::ModelDef;
use super::options::{Options, QUICK_STEPS};
use crate::error::{Result, invalid, read_file, write_file};
use crate::model::{ModelConfig, ModelMeta, TransformerPredictor, parameter_count, read_meta};
use crate::tasks::NoiseRange;
use crate::train::{TrainArgs, TrainConfig, Trainer, checkpoint_path, preset, train};
use serde::Serialize;
use std::path::Path;

/// The training config of `def`: its preset with the mixture replaced where asked; with
/// `quick`, a 1-layer, 16-wide model (2 heads, 16 bins, 11 points, no curriculum) trained for
/// 40 steps of 8 prompts; `steps` overrides the step count.
///
/// # Errors
/// As [`preset`] and [`TrainConfig::validate`].
pub fn model_config(def: &ModelDef, quick: bool, steps: Option<u64>) -> Result<TrainConfig> {
    let mut config = preset(def.preset)?;
    if let Some(mixture) = def.mixture {
        config.mixture = mixture.to_string();
    }
    if quick {
        config.steps = QUICK_STEPS;
        config.batch_size = 8;
        config.checkpoint_interval = 20;
        config.model = ModelConfig { max_points: 11, n_embd: 16, n_layer: 1, n_head: 2, bins: 16, ..config.model.clone() };
        config.curriculum = None;
        config.optimizer.warmup_steps = 5;
        config.optimizer.lr = 3e-3;
        config.optimizer.min_lr = 3e-4;
    }
    if let Some(steps) = steps {
        config.steps = steps;
    }
    config.validate()?;
    Ok(config)
}

/// What the results record about one model.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelRecord {
    /// Name in [`super::MODELS`].
    pub name: String,
    /// `trained` (a reproduction model), `zoo` (a shipped model used with `--zoo`), or
    /// `missing` (`--no-train` and not trained yet).
    pub source: String,
    /// The weight file, relative to the repository root (default folders).
    pub file: String,
    /// The preset it derives from and the mixture that replaced the preset's, if any.
    pub preset: String,
    pub mixture_override: Option<String>,
    /// The full training config (every size, step count and seed) for trained models.
    pub config: Option<TrainConfig>,
    /// Commands that train it (a resumed run repeats the same command).
    pub train_command: Option<String>,
    /// Architecture, mixture and noise read from the weights (absent when missing).
    pub architecture: Option<ModelConfig>,
    pub mixture: Option<String>,
    pub noise: Option<NoiseRange>,
    /// Optimiser steps the weights have had, and the seed of their training data.
    pub steps_trained: Option<u64>,
    pub seed: Option<u64>,
    /// Number of parameters.
    pub parameters: Option<usize>,
}

/// A model ready to evaluate.
pub struct LoadedModel {
    /// Its record.
    pub record: ModelRecord,
    /// Metadata from the weights.
    pub meta: ModelMeta,
    /// The transformer, named `transformer:<name>` in reports.
    pub predictor: TransformerPredictor,
}

fn load(record: ModelRecord, path: &Path) -> Result<LoadedModel> {
    let bytes = read_file(path)?;
    let meta = read_meta(&bytes)?;
    let predictor = TransformerPredictor::from_bytes(&bytes, &record.name)?;
    let record = ModelRecord {
        architecture: Some(meta.config.clone()),
        mixture: Some(meta.mixture.to_string()),
        noise: Some(meta.noise),
        steps_trained: Some(meta.training_steps),
        seed: Some(meta.seed),
        parameters: Some(parameter_count(&bytes)?),
        ..record
    };
    Ok(LoadedModel { record, meta, predictor })
}

/// Trains `def` or resumes its training to the configured steps, or loads it when it is
/// already there (or from the zoo with `--zoo`). Returns `None` with `--no-train` when the
/// model is not trained to its step count yet. The config is written beside the model as
/// `<name>.toml`, so that the recorded `incontext train` command can be rerun by hand.
///
/// # Errors
/// I/O, training and weight errors; [`Error::InvalidInput`] when a checkpoint holds another
/// config or is past the requested steps.
pub fn ensure_model(def: &ModelDef, options: &Options) -> Result<(ModelRecord, Option<LoadedModel>)> {
    let label = |file: &str| format!("{}/{file}", options.models_label.trim_end_matches('/'));
    let mut record = ModelRecord {
        name: def.name.to_string(),
        source: "trained".into(),
        file: label(&format!("{}.safetensors", def.name)),
        preset: def.preset.to_string(),
        mixture_override: def.mixture.map(String::from),
        config: None,
        train_command: None,
        architecture: None,
        mixture: None,
        noise: None,
        steps_trained: None,
        seed: None,
        parameters: None,
    };
    if let (true, Some(zoo)) = (options.zoo, def.zoo) {
        record.source = "zoo".into();
        record.file = zoo.to_string();
        record.train_command = Some(format!("see {}", zoo.replace(".safetensors", ".md")));
        if !Path::new(zoo).exists() {
            if options.no_train {
                record.source = "missing".into();
                return Ok((record, None));
            }
            return invalid(format!("{zoo} is not there: train the model zoo first, or leave out --zoo"));
        }
        let loaded = load(record, Path::new(zoo))?;
        return Ok((loaded.record.clone(), Some(loaded)));
    }
    let config = model_config(def, options.quick, options.steps)?;
    let target = config.steps;
    let toml_path = options.models.join(format!("{}.toml", def.name));
    let out = options.models.join(format!("{}.safetensors", def.name));
    record.train_command =
        Some(format!("incontext train --config {} --out {} (resume: add --resume {})", label(&format!("{}.toml", def.name)), record.file, label(&format!("{}.ckpt.safetensors", def.name))));
    record.config = Some(config.clone());
    write_file(&toml_path, config.to_toml()?.as_bytes())?;
    let done = |path: &Path| -> Result<bool> {
        if !path.exists() {
            return Ok(false);
        }
        let meta = read_meta(&read_file(path)?)?;
        Ok(meta.training_steps == target && meta.config == config.model_config()? && meta.mixture == config.mixture()? && meta.seed == config.seed)
    };
    if !done(&out)? {
        if options.no_train {
            record.source = "missing".into();
            return Ok((record, None));
        }
        let ckpt = checkpoint_path(&out);
        let mut args = TrainArgs { config: Some(toml_path), out: out.clone(), ..TrainArgs::default() };
        if ckpt.exists() {
            let (trainer, _) = Trainer::from_checkpoint(&read_file(&ckpt)?)?;
            if trainer.step() > target || (trainer.step() == target && trainer.config().steps != target) {
                return invalid(format!(
                    "{} is at step {} of a {}-step run; ask for --steps {} or more",
                    ckpt.display(),
                    trainer.step(),
                    trainer.config().steps,
                    trainer.config().steps
                ));
            }
            eprintln!("{}: resuming from step {} to {target}", def.name, trainer.step());
            args.steps = (trainer.step() < target).then_some(target);
            args.resume = Some(ckpt);
        } else {
            eprintln!("{}: training {target} steps", def.name);
        }
        let summary = train(&args, &mut |p| {
            if let Some(line) = p.checkpoint_line() {
                eprintln!("{}: {line}", def.name);
            }
        })?;
        eprintln!("{}: trained to step {} in {:.1} s", def.name, summary.steps, summary.seconds);
    }
    let loaded = load(record, &out)?;
    Ok((loaded.record.clone(), Some(loaded)))
}

