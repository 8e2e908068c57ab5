//! Checkpoints: one `.safetensors` file holding the weights (under the model's own names),
//! AdamW's moments (`adamw.m.<name>`, `adamw.v.<name>`), the model metadata under
//! [`crate::model::META_KEY`] (so `read_meta` works on checkpoints too) and the training state
//! under [`TRAIN_META_KEY`].

use super::config::{CurriculumStage, TrainConfig};
use super::optim::AdamW;
use super::trainer::Trainer;
use crate::error::{Error, Result};
use crate::model::{META_KEY, read_meta};
use crate::tasks::RngState;
use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// Metadata key holding the JSON [`TrainState`].
pub const TRAIN_META_KEY: &str = "incontext_train";

/// Everything besides tensors that resuming needs, stored as JSON in the checkpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    /// Steps completed.
    pub step: u64,
    /// Wall-clock seconds of training so far (continues the CSV log's clock).
    pub elapsed_seconds: f64,
    /// The full training configuration.
    pub config: TrainConfig,
    /// Preset name or config path.
    pub source: String,
    /// Curriculum stage of the next step (a check: it is a function of `step`).
    pub next_stage: CurriculumStage,
    /// The data stream of the next step (a check: it is a function of `seed` and `step`).
    pub next_batch_stream: RngState,
}

fn ckpt_error(msg: impl Into<String>) -> Error {
    Error::InvalidWeights(format!("checkpoint: {}", msg.into()))
}

impl Trainer {
    /// The checkpoint file's bytes; `elapsed_seconds` is the training time so far.
    ///
    /// # Errors
    /// Candle errors reading the variables; [`Error::Format`] if serialisation fails.
    pub fn checkpoint_bytes(&self, elapsed_seconds: f64) -> Result<Vec<u8>> {
        let (m, v) = self.adam.moments();
        let mut tensors = BTreeMap::new();
        for (i, (name, var)) in self.params.iter().enumerate() {
            tensors.insert(name.clone(), var.as_tensor().clone());
            tensors.insert(
                format!("adamw.m.{name}"),
                Tensor::from_slice(&m[i], var.shape(), &Device::Cpu)?,
            );
            tensors.insert(
                format!("adamw.v.{name}"),
                Tensor::from_slice(&v[i], var.shape(), &Device::Cpu)?,
            );
        }
        let state = TrainState {
            step: self.step,
            elapsed_seconds,
            config: self.config.clone(),
            source: self.source.clone(),
            next_stage: self.config.stage(self.step),
            next_batch_stream: self.batch_stream(self.step).state(),
        };
        let metadata = HashMap::from([
            (META_KEY.to_string(), to_json(&self.model_meta()?)?),
            (TRAIN_META_KEY.to_string(), to_json(&state)?),
        ]);
        safetensors::serialize(tensors.iter().map(|(k, v)| (k.as_str(), v)), Some(metadata))
            .map_err(|e| Error::Format(format!("safetensors: {e}")))
    }

    /// Restores a trainer from checkpoint bytes: weights, moments, step and configuration.
    /// Every tensor is checked by name, shape and dtype (f32).
    ///
    /// # Errors
    /// [`Error::InvalidWeights`] for a malformed file, missing/unreadable metadata, a missing,
    /// misshapen or non-f32 tensor, an unexpected tensor, or a state that contradicts its own
    /// config; as [`TrainConfig::validate`].
    pub fn from_checkpoint(bytes: &[u8]) -> Result<(Self, TrainState)> {
        let meta = read_meta(bytes)?;
        let (_, header) = safetensors::SafeTensors::read_metadata(bytes)
            .map_err(|e| ckpt_error(format!("not a readable safetensors file ({e})")))?;
        let state_json = header
            .metadata()
            .as_ref()
            .and_then(|m| m.get(TRAIN_META_KEY))
            .ok_or_else(|| {
                ckpt_error(format!(
                    "no '{TRAIN_META_KEY}' metadata (is this a final model rather than a checkpoint?)"
                ))
            })?;
        let state: TrainState = serde_json::from_str(state_json)
            .map_err(|e| ckpt_error(format!("'{TRAIN_META_KEY}' is malformed: {e}")))?;
        if state.next_stage != state.config.stage(state.step) {
            return Err(ckpt_error(format!(
                "curriculum stage {:?} does not match step {}",
                state.next_stage, state.step
            )));
        }
        let mut trainer = Self::with_borders(state.config.clone(), state.source.clone(), meta.borders)?;
        if state.next_batch_stream != trainer.batch_stream(state.step).state() {
            return Err(ckpt_error("the stored data stream does not match the seed and step"));
        }
        let file = safetensors::SafeTensors::deserialize(bytes)
            .map_err(|e| ckpt_error(format!("not a readable safetensors file ({e})")))?;
        let load = |name: &str, shape: &candle_core::Shape| -> Result<Tensor> {
            let view = file
                .tensor(name)
                .map_err(|_| ckpt_error(format!("tensor '{name}' is missing")))?;
            if view.dtype() != safetensors::Dtype::F32 {
                return Err(ckpt_error(format!(
                    "tensor '{name}' has dtype {:?}; expected f32",
                    view.dtype()
                )));
            }
            if view.shape() != shape.dims() {
                return Err(ckpt_error(format!(
                    "tensor '{name}' has shape {:?}; expected {:?}",
                    view.shape(),
                    shape.dims()
                )));
            }
            candle_core::safetensors::Load::load(&view, &Device::Cpu)
                .map_err(|e| ckpt_error(format!("tensor '{name}': {e}")))
        };
        let (mut m, mut v) = (Vec::new(), Vec::new());
        for (name, var) in &trainer.params {
            var.set(&load(name, var.shape())?)?;
            m.push(
                load(&format!("adamw.m.{name}"), var.shape())?
                    .flatten_all()?
                    .to_vec1::<f32>()?,
            );
            v.push(
                load(&format!("adamw.v.{name}"), var.shape())?
                    .flatten_all()?
                    .to_vec1::<f32>()?,
            );
        }
        let expected: Vec<String> = trainer
            .params
            .iter()
            .flat_map(|(n, _)| [n.clone(), format!("adamw.m.{n}"), format!("adamw.v.{n}")])
            .collect();
        if let Some(extra) = file.names().into_iter().find(|n| !expected.iter().any(|e| e == *n)) {
            return Err(ckpt_error(format!("unexpected tensor '{extra}'")));
        }
        trainer.adam = AdamW::from_moments(m, v)?;
        trainer.step = state.step;
        Ok((trainer, state))
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Format(e.to_string()))
}
