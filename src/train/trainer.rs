//! The training step: a fresh seeded batch, forward, loss, backward, clipping, AdamW.

use super::config::{CurriculumStage, TrainConfig};
use super::init::SeededInit;
use super::optim::{AdamW, clip_global_norm, learning_rate};
use crate::error::{Error, Result, invalid};
use crate::model::{Encoding, IclTransformer, ModelMeta, bar_borders, bar_nll, family_cross_entropy, prompts_to_tensors};
use crate::tasks::{Mixture, NoiseRange, SeededRng};
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{VarBuilder, VarMap};
use std::time::Instant;

/// Label of the stream, derived from a prompt's own, that draws its context size.
const CONTEXT_SIZE_STREAM: u64 = 0xC0_47E7;

/// One batch of prompts as model inputs.
#[derive(Clone, Debug)]
pub struct Batch {
    /// `[b, n, n_dims]` inputs (coordinates beyond `stage.d_eff` are zero).
    pub xs: Tensor,
    /// `[b, n]` targets.
    pub ys: Tensor,
    /// `[b]` (u32) index of each prompt's family in the mixture.
    pub families: Tensor,
    /// Prefix encoding: each prompt's context size `k` (its first `k` points are the context,
    /// the others are scored as queries). Interleaved: `None` (every point is scored, each
    /// from the points before it).
    pub context: Option<Vec<usize>>,
    /// `[b, n]` f32: 1 where a point's prediction enters the loss, 0 for context points.
    pub scored: Tensor,
    /// Curriculum stage the batch was drawn at.
    pub stage: CurriculumStage,
}

/// The loss and its two parts, means over the scored points of the batch (nats).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Losses {
    /// `bar_nll + family_loss_weight · family_ce`.
    pub loss: f64,
    /// Negative log density of the bar distribution at the true `y`.
    pub bar_nll: f64,
    /// Cross-entropy of the family head.
    pub family_ce: f64,
}

/// Wall-clock seconds spent in each phase of one step.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PhaseTimes {
    /// Sampling prompts and building the input tensors.
    pub sample: f64,
    /// Forward pass and losses.
    pub forward: f64,
    /// Backward pass.
    pub backward: f64,
    /// Gradient read-out, clipping and the AdamW update.
    pub optimizer: f64,
}

impl PhaseTimes {
    /// Total seconds.
    pub fn total(&self) -> f64 {
        self.sample + self.forward + self.backward + self.optimizer
    }
}

/// What one optimiser step did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepStats {
    /// Steps completed after this one (1 for the first step).
    pub step: u64,
    /// Losses of the batch, before the update.
    pub losses: Losses,
    /// Learning rate used.
    pub lr: f64,
    /// Global gradient norm before clipping.
    pub grad_norm: f64,
    /// Where the time went.
    pub times: PhaseTimes,
}

/// A model being trained: the transformer, its variables, AdamW's moments and the step count.
/// Everything random derives from `config.seed`: initial weights (per variable name), bar
/// borders, and the batch of step `s` (from `SeededRng::new(seed).derive(s)`), so training is
/// a pure function of the config and resuming from a checkpoint is exact by construction.
pub struct Trainer {
    pub(super) config: TrainConfig,
    pub(super) source: String,
    mixture: Mixture,
    noise: NoiseRange,
    model: IclTransformer,
    varmap: VarMap,
    /// Variables sorted by name (the optimiser's and the checkpoint's order).
    pub(super) params: Vec<(String, Var)>,
    /// Whether each parameter gets weight decay (matrices only).
    decay: Vec<bool>,
    pub(super) adam: AdamW,
    pub(super) step: u64,
}

impl Trainer {
    /// A fresh model at step 0. `source` names the preset or config file (stored in the
    /// model's metadata).
    ///
    /// # Errors
    /// As [`TrainConfig::validate`] and [`bar_borders`].
    pub fn new(config: TrainConfig, source: impl Into<String>) -> Result<Self> {
        config.validate()?;
        let borders = bar_borders(
            &config.mixture()?,
            config.noise,
            config.model.n_dims,
            config.model.bins,
            config.seed,
        )?;
        Self::with_borders(config, source.into(), borders)
    }

    /// A fresh model with the given bar borders (used when restoring a checkpoint, whose
    /// borders are stored).
    pub(super) fn with_borders(config: TrainConfig, source: String, borders: Vec<f64>) -> Result<Self> {
        config.validate()?;
        let varmap = VarMap::new();
        let backend = SeededInit::new(varmap.clone(), config.seed);
        let vb = VarBuilder::from_backend(Box::new(backend), DType::F32, Device::Cpu);
        let model = IclTransformer::new(config.model_config()?, borders, vb)?;
        let mut params: Vec<(String, Var)> = varmap
            .data()
            .lock()
            .map_err(|_| lock_error())?
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        params.sort_by(|a, b| a.0.cmp(&b.0));
        let decay = params.iter().map(|(_, v)| v.rank() >= 2).collect();
        let adam = AdamW::new(&params.iter().map(|(_, v)| v.elem_count()).collect::<Vec<_>>());
        Ok(Self {
            mixture: config.mixture()?,
            noise: config.noise,
            config,
            source,
            model,
            varmap,
            params,
            decay,
            adam,
            step: 0,
        })
    }

    /// The training configuration.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// Preset name or config path the run came from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Steps completed.
    pub fn step(&self) -> u64 {
        self.step
    }

    /// The model (shares its variables with the trainer: it sees every update).
    pub fn model(&self) -> &IclTransformer {
        &self.model
    }

    /// The model's variables.
    pub fn varmap(&self) -> &VarMap {
        &self.varmap
    }

    /// Number of scalar parameters.
    pub fn parameter_count(&self) -> usize {
        self.params.iter().map(|(_, v)| v.elem_count()).sum()
    }

    /// Changes the total number of steps (this also stretches or shortens the cosine decay
    /// from the current step on).
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] if `steps` is not above the steps already taken.
    pub fn set_total_steps(&mut self, steps: u64) -> Result<()> {
        if steps <= self.step {
            return invalid(format!(
                "--steps {steps} is not above the {} steps already taken",
                self.step
            ));
        }
        self.config.steps = steps;
        Ok(())
    }

    /// The model's metadata as of now (`training_steps` = steps taken).
    ///
    /// # Errors
    /// As [`TrainConfig::mixture`].
    pub fn model_meta(&self) -> Result<ModelMeta> {
        Ok(ModelMeta {
            config: self.model.config().clone(),
            borders: self.model.borders().to_vec(),
            mixture: self.mixture.clone(),
            noise: self.noise,
            training_steps: self.step,
            seed: self.config.seed,
            preset: self.source.clone(),
        })
    }

    /// The model as a weight file with tensors stored as `dtype` (`F32`, or `F16` to halve the
    /// file), loadable by [`crate::model::load_model`].
    ///
    /// # Errors
    /// As [`crate::model::serialize_model`].
    pub fn model_bytes(&self, dtype: DType) -> Result<Vec<u8>> {
        crate::model::serialize_model(&self.varmap, &self.model_meta()?, dtype)
    }

    /// The data stream of step `s`: `SeededRng::new(seed).derive(s)`; prompt `i` of the batch
    /// draws from `stream.derive(i)`, and its context size from `stream.derive(i).derive(CONTEXT_SIZE_STREAM)`.
    pub fn batch_stream(&self, s: u64) -> SeededRng {
        SeededRng::new(self.config.seed).derive(s)
    }

    /// The batch of step `s`: `batch_size` prompts, each drawing its family from the mixture,
    /// with the curriculum's `d_eff` active dimensions (zero-padded to `n_dims`) and `n` points.
    /// Prefix encoding: each prompt also draws its context size `k` uniformly from `0..n`
    /// (PFNs' single evaluation position, per prompt), so that every `k` is trained and at
    /// least one point is a query; the prompts themselves are the same for both encodings.
    ///
    /// # Errors
    /// As [`Mixture::sample_prompt`].
    pub fn batch(&self, s: u64) -> Result<Batch> {
        let stage = self.config.stage(s);
        let stream = self.batch_stream(s);
        let prompts = (0..self.config.batch_size)
            .map(|i| {
                let mut rng = stream.derive(i as u64);
                self.mixture.sample_prompt(
                    self.config.model.n_dims,
                    stage.d_eff,
                    stage.n_points,
                    self.noise,
                    &mut rng,
                )
            })
            .collect::<Result<Vec<_>>>()?;
        let (xs, ys, families) = prompts_to_tensors(&prompts, &Device::Cpu)?;
        let (b, n) = (self.config.batch_size, stage.n_points);
        let context: Option<Vec<usize>> = match self.config.model.encoding {
            Encoding::Interleaved => None,
            Encoding::Prefix => {
                Some((0..b).map(|i| stream.derive(i as u64).derive(CONTEXT_SIZE_STREAM).index(n)).collect())
            }
        };
        let scored: Vec<f32> = (0..b)
            .flat_map(|i| {
                let k = context.as_ref().map_or(0, |ks| ks[i]);
                (0..n).map(move |j| if j >= k { 1.0 } else { 0.0 })
            })
            .collect();
        Ok(Batch {
            xs,
            ys,
            families,
            context,
            scored: Tensor::from_vec(scored, (b, n), &Device::Cpu)?,
            stage,
        })
    }

    /// The loss tensor (scalar) and its parts.
    fn loss(&self, batch: &Batch) -> Result<(Tensor, Losses)> {
        let out = self.model.forward(&batch.xs, &batch.ys, batch.context.as_deref())?; // [b, n, ·]
        let bar = bar_nll(&out.bar_logits, &batch.ys, &batch.scored, self.model.borders())?; // []
        let family = family_cross_entropy(&out.family_logits, &batch.families, &batch.scored)?; // []
        let loss = (&bar + (&family * self.config.family_loss_weight)?)?; // []
        let scalar = |t: &Tensor| -> Result<f64> { Ok(f64::from(t.to_scalar::<f32>()?)) };
        let losses = Losses {
            loss: scalar(&loss)?,
            bar_nll: scalar(&bar)?,
            family_ce: scalar(&family)?,
        };
        Ok((loss, losses))
    }

    /// Losses on `batch` without updating anything.
    ///
    /// # Errors
    /// Candle errors; [`crate::Error::InvalidInput`] for a batch that does not fit the model.
    pub fn evaluate(&self, batch: &Batch) -> Result<Losses> {
        Ok(self.loss(batch)?.1)
    }

    /// One optimiser step on the batch of the current step.
    ///
    /// # Errors
    /// As [`Trainer::apply_batch`].
    pub fn train_step(&mut self) -> Result<StepStats> {
        let start = Instant::now();
        let batch = self.batch(self.step)?;
        let mut stats = self.apply_batch(&batch)?;
        stats.times.sample = start.elapsed().as_secs_f64() - stats.times.total();
        Ok(stats)
    }

    /// One optimiser step on `batch`: loss, backward, global-norm clipping, AdamW at the
    /// scheduled learning rate. The weights and moments are only replaced once the loss, the
    /// gradient norm and every new weight are known to be finite.
    ///
    /// # Errors
    /// [`Error::Numerical`] when the loss, the gradient norm or an updated weight is NaN/Inf
    /// (nothing is updated and the step count stays); candle errors.
    pub fn apply_batch(&mut self, batch: &Batch) -> Result<StepStats> {
        let t0 = Instant::now();
        let (loss, losses) = self.loss(batch)?;
        let at = self.step + 1;
        if !losses.loss.is_finite() {
            return Err(Error::Numerical(format!(
                "non-finite training loss {} at step {at} (bar NLL {}, family CE {}); the weights were not updated",
                losses.loss, losses.bar_nll, losses.family_ce
            )));
        }
        let t1 = Instant::now();
        let grads = loss.backward()?;
        let t2 = Instant::now();
        let mut g = self
            .params
            .iter()
            .map(|(_, var)| match grads.get(var.as_tensor()) {
                Some(grad) => Ok(grad.flatten_all()?.to_vec1::<f32>()?),
                None => Ok(vec![0.0; var.elem_count()]),
            })
            .collect::<Result<Vec<_>>>()?;
        drop(grads);
        let opt = &self.config.optimizer;
        let grad_norm = clip_global_norm(&mut g, opt.grad_clip);
        if !grad_norm.is_finite() {
            return Err(Error::Numerical(format!(
                "non-finite gradient norm at step {at} (loss {}); the weights were not updated",
                losses.loss
            )));
        }
        let lr = learning_rate(opt, self.config.steps, self.step);
        let mut values = self
            .params
            .iter()
            .map(|(_, var)| Ok(var.as_tensor().flatten_all()?.to_vec1::<f32>()?))
            .collect::<Result<Vec<_>>>()?;
        self.adam
            .update(&mut values, &g, &self.decay, lr, opt, at)
            .map_err(|e| match e {
                Error::Numerical(msg) => Error::Numerical(format!("{msg} at step {at}; the weights were not updated")),
                other => other,
            })?;
        for ((_, var), v) in self.params.iter().zip(values) {
            var.set(&Tensor::from_vec(v, var.shape(), &Device::Cpu)?)?;
        }
        self.step = at;
        let t3 = Instant::now();
        let times = PhaseTimes {
            sample: 0.0,
            forward: (t1 - t0).as_secs_f64(),
            backward: (t2 - t1).as_secs_f64(),
            optimizer: (t3 - t2).as_secs_f64(),
        };
        Ok(StepStats {
            step: at,
            losses,
            lr,
            grad_norm,
            times,
        })
    }
}

fn lock_error() -> Error {
    Error::InvalidWeights("variable map lock poisoned".into())
}
