//! The training configuration: one TOML schema shared by the embedded presets and
//! `--config <file.toml>`. Unknown keys are errors, so a typo never silently falls back to a
//! default.

use crate::error::{Error, Result, invalid};
use crate::model::ModelConfig;
use crate::tasks::{Mixture, NoiseRange};
use serde::{Deserialize, Serialize};

/// Everything that defines a training run. The data stream, the initial weights and the bar
/// borders are all functions of this struct, so two runs of one config give bit-identical
/// models.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// Seed of everything random: initial weights, bar borders, every batch.
    pub seed: u64,
    /// Optimiser steps in total (one batch each).
    pub steps: u64,
    /// Prompts per batch.
    pub batch_size: usize,
    /// The pretraining mixture in [`Mixture::parse`]'s text form; its family names label the
    /// family head.
    pub mixture: String,
    /// Per-prompt observation noise σ ~ U[lo, hi] (TOML: `noise = { lo = 0.01, hi = 0.2 }`;
    /// checked as [`NoiseRange::new`] when read).
    pub noise: NoiseRange,
    /// Weight of the family head's cross-entropy in the loss
    /// (`loss = bar NLL + family_loss_weight · family CE`).
    pub family_loss_weight: f64,
    /// Steps between checkpoints (`<out>.ckpt.safetensors`).
    pub checkpoint_interval: u64,
    /// The architecture; its `families` are left out (they come from `mixture`).
    pub model: ModelConfig,
    /// AdamW, learning-rate schedule and gradient clipping.
    pub optimizer: OptimizerConfig,
    /// Garg et al.'s curriculum; absent: full `n_dims` and `max_points` from the first step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curriculum: Option<CurriculumConfig>,
}

/// AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019) with linear
/// warm-up and cosine decay, and clipping by global gradient norm.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptimizerConfig {
    /// Peak learning rate, reached at the end of warm-up.
    pub lr: f64,
    /// Learning rate at the end of the cosine decay (the floor).
    pub min_lr: f64,
    /// Steps of linear warm-up from `lr / warmup_steps` to `lr`.
    pub warmup_steps: u64,
    /// `(β1, β2)`, the moment decay rates.
    pub betas: (f64, f64),
    /// `ε` added to `sqrt(v̂)`.
    pub eps: f64,
    /// Decoupled weight decay, applied to matrices (linear weights, position embeddings) only,
    /// never to biases or LayerNorm parameters.
    pub weight_decay: f64,
    /// Largest global L2 norm of the gradient; larger gradients are scaled down to it. Absent:
    /// no clipping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grad_clip: Option<f64>,
}

/// Garg et al. 2022's curriculum (their reference code's `curriculum.py`): the active input dimensions and the points per
/// prompt start small and grow by `step` every `interval` optimiser steps up to `end`. Either
/// axis may be absent (then it is at its full size throughout).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CurriculumConfig {
    /// Active dimensions `d_eff` (the rest of x is zero).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dims: Option<Ramp>,
    /// Points per prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<Ramp>,
}

/// A staircase `min(end, start + step · ⌊s / interval⌋)` over optimiser steps `s`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ramp {
    /// Value at step 0.
    pub start: usize,
    /// Final value.
    pub end: usize,
    /// Increment per stage.
    pub step: usize,
    /// Optimiser steps per stage.
    pub interval: u64,
}

impl Ramp {
    /// The value at optimiser step `s` (0-based).
    pub fn at(&self, s: u64) -> usize {
        let stages = usize::try_from(s / self.interval).unwrap_or(usize::MAX);
        self.start
            .saturating_add(self.step.saturating_mul(stages))
            .min(self.end)
    }

    fn validate(&self, what: &str, max: usize) -> Result<()> {
        if self.start == 0 || self.start > self.end || self.end > max || self.step == 0 || self.interval == 0 {
            return invalid(format!(
                "curriculum.{what} needs 1 <= start <= end <= {max}, step >= 1 and interval >= 1 (got {self:?})"
            ));
        }
        Ok(())
    }
}

/// Where a run stands in the curriculum at one step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurriculumStage {
    /// Active input dimensions.
    pub d_eff: usize,
    /// Points per prompt.
    pub n_points: usize,
}

impl TrainConfig {
    /// Parses and validates the TOML form.
    ///
    /// # Errors
    /// [`Error::Format`] for TOML that does not fit the schema (unknown or missing keys, wrong
    /// types; the message names the key); as [`TrainConfig::validate`].
    pub fn from_toml(text: &str) -> Result<Self> {
        let config: Self = toml::from_str(text).map_err(|e| Error::Format(format!("training config: {e}")))?;
        config.validate()?;
        Ok(config)
    }

    /// The TOML form (without the comments of a preset).
    ///
    /// # Errors
    /// [`Error::Format`] if serialisation fails.
    pub fn to_toml(&self) -> Result<String> {
        toml::to_string(self).map_err(|e| Error::Format(format!("training config: {e}")))
    }

    /// The parsed mixture.
    ///
    /// # Errors
    /// As [`Mixture::parse`].
    pub fn mixture(&self) -> Result<Mixture> {
        Mixture::parse(&self.mixture)
    }

    /// The full model configuration: the architecture plus the mixture's family names.
    ///
    /// # Errors
    /// As [`Mixture::parse`].
    pub fn model_config(&self) -> Result<ModelConfig> {
        Ok(ModelConfig { families: self.mixture()?.family_names(), ..self.model.clone() })
    }

    /// Active dimensions and points per prompt at optimiser step `s` (0-based).
    pub fn stage(&self, s: u64) -> CurriculumStage {
        let curriculum = self.curriculum.as_ref();
        CurriculumStage {
            d_eff: curriculum.and_then(|c| c.dims).map_or(self.model.n_dims, |r| r.at(s)),
            n_points: curriculum
                .and_then(|c| c.points)
                .map_or(self.model.max_points, |r| r.at(s)),
        }
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] naming the offending field: an invalid architecture or mixture,
    /// a family that does not fit the smallest curriculum dimension, zero batch size, steps or
    /// checkpoint interval, a non-positive or non-finite learning rate, `min_lr > lr`, betas
    /// outside `[0, 1)`, a non-positive `eps` or clip norm, a negative weight decay or family
    /// weight, a curriculum ramp outside `1..=n_dims` / `1..=max_points`.
    pub fn validate(&self) -> Result<()> {
        if !self.model.families.is_empty() {
            return invalid("model.families: the family head's labels come from `mixture`; leave them out");
        }
        let model = self.model_config()?;
        model.validate()?;
        NoiseRange::new(self.noise.lo, self.noise.hi)?;
        if self.batch_size == 0 || self.steps == 0 || self.checkpoint_interval == 0 {
            return invalid("batch_size, steps and checkpoint_interval must be at least 1");
        }
        if !(self.family_loss_weight.is_finite() && self.family_loss_weight >= 0.0) {
            return invalid(format!(
                "family_loss_weight must be finite and >= 0 (got {})",
                self.family_loss_weight
            ));
        }
        let o = &self.optimizer;
        if !(o.lr.is_finite() && o.lr > 0.0 && o.min_lr.is_finite() && 0.0 <= o.min_lr && o.min_lr <= o.lr) {
            return invalid(format!(
                "optimizer needs 0 <= min_lr <= lr, lr > 0, both finite (got lr {}, min_lr {})",
                o.lr, o.min_lr
            ));
        }
        let (b1, b2) = o.betas;
        if !((0.0..1.0).contains(&b1) && (0.0..1.0).contains(&b2)) {
            return invalid(format!("optimizer.betas must lie in [0, 1) (got {b1}, {b2})"));
        }
        if !(o.eps.is_finite() && o.eps > 0.0) {
            return invalid(format!("optimizer.eps must be finite and > 0 (got {})", o.eps));
        }
        if !(o.weight_decay.is_finite() && o.weight_decay >= 0.0) {
            return invalid(format!(
                "optimizer.weight_decay must be finite and >= 0 (got {})",
                o.weight_decay
            ));
        }
        if let Some(clip) = o.grad_clip
            && !(clip.is_finite() && clip > 0.0)
        {
            return invalid(format!("optimizer.grad_clip must be finite and > 0 (got {clip})"));
        }
        if let Some(c) = &self.curriculum {
            if let Some(dims) = &c.dims {
                dims.validate("dims", self.model.n_dims)?;
            }
            if let Some(points) = &c.points {
                points.validate("points", self.model.max_points)?;
            }
        }
        // Families must fit the smallest active dimension the curriculum uses.
        self.mixture()?.validate(self.stage(0).d_eff)
    }
}
