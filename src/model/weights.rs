//! Weight files: one `.safetensors` per model; its metadata key `incontext` holds the JSON
//! [`ModelMeta`] (config, bar borders, mixture, noise range, training steps, seed, preset).

use super::config::ModelConfig;
use super::transformer::IclTransformer;
use crate::error::{Error, Result};
use crate::tasks::{Mixture, NoiseRange};
use candle_core::{DType, Device, Shape, Tensor};
use candle_nn::{Init, VarBuilder, VarMap, var_builder::SimpleBackend};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// The metadata key that holds [`ModelMeta`] as JSON.
pub const META_KEY: &str = "incontext";

/// Everything needed to rebuild, describe and reproduce a trained model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelMeta {
    /// Architecture.
    pub config: ModelConfig,
    /// `[K + 1]` bar-distribution borders.
    pub borders: Vec<f64>,
    /// The pretraining mixture (family head order).
    pub mixture: Mixture,
    /// The pretraining noise range.
    pub noise: NoiseRange,
    /// Optimiser steps taken.
    pub training_steps: u64,
    /// Seed of the training data stream.
    pub seed: u64,
    /// Preset or config file the model was trained from.
    pub preset: String,
}

fn weights_error(msg: impl Into<String>) -> Error {
    Error::InvalidWeights(msg.into())
}

/// Serialises the variables of `varmap` (names as in [`IclTransformer`]) and `meta` into
/// safetensors bytes, storing tensors as `dtype` (`F32`, or `F16` to halve the file).
///
/// # Errors
/// Candle errors on conversion; [`Error::Format`] if serialisation fails.
pub fn serialize_model(varmap: &VarMap, meta: &ModelMeta, dtype: DType) -> Result<Vec<u8>> {
    let data = varmap.data().lock().map_err(|_| weights_error("variable map lock poisoned"))?;
    let tensors: BTreeMap<String, Tensor> = data
        .iter()
        .map(|(name, var)| Ok((name.clone(), var.as_tensor().to_dtype(dtype)?)))
        .collect::<Result<_>>()?;
    let meta_json = serde_json::to_string(meta).map_err(|e| Error::Format(e.to_string()))?;
    let metadata = HashMap::from([(META_KEY.to_string(), meta_json)]);
    safetensors::serialize(tensors.iter().map(|(k, v)| (k.as_str(), v)), Some(metadata))
        .map_err(|e| Error::Format(format!("safetensors: {e}")))
}

/// Reads only the metadata of a weight file.
///
/// # Errors
/// [`Error::InvalidWeights`] for a truncated or malformed header, missing/unreadable
/// `incontext` metadata, or family-head labels that are not the mixture's families in order.
pub fn read_meta(bytes: &[u8]) -> Result<ModelMeta> {
    let (_, header) = safetensors::SafeTensors::read_metadata(bytes)
        .map_err(|e| weights_error(format!("not a readable safetensors file ({e})")))?;
    let json = header
        .metadata()
        .as_ref()
        .and_then(|m| m.get(META_KEY))
        .ok_or_else(|| weights_error(format!("the file has no '{META_KEY}' metadata (config, borders, mixture)")))?;
    let meta: ModelMeta =
        serde_json::from_str(json).map_err(|e| weights_error(format!("metadata '{META_KEY}' is malformed: {e}")))?;
    // The mixture and noise range were checked as they were read (their `try_from`); the
    // architecture goes through the same checks as a config built in code.
    meta.config.validate().map_err(|e| weights_error(format!("metadata '{META_KEY}': {e}")))?;
    let from_mixture = meta.mixture.family_names();
    if meta.config.families != from_mixture {
        return Err(weights_error(format!(
            "the family head's labels {:?} are not the families of the mixture '{}' ({from_mixture:?})",
            meta.config.families, meta.mixture
        )));
    }
    Ok(meta)
}

/// Number of parameters (scalars over all tensors) of a safetensors weight file.
///
/// # Errors
/// [`Error::InvalidWeights`] when the bytes are not a readable safetensors file.
pub fn parameter_count(bytes: &[u8]) -> Result<usize> {
    Ok(safetensors::SafeTensors::deserialize(bytes)
        .map_err(|e| weights_error(format!("not a readable safetensors file ({e})")))?
        .tensors()
        .iter()
        .map(|(_, t)| t.shape().iter().product::<usize>())
        .sum())
}

/// Loads a model from safetensors bytes. Every tensor is checked against the architecture in
/// the metadata: a missing, unexpected, misshapen or non-float (f32/f16/bf16) tensor is an
/// error naming it. Tensors are converted to f32.
///
/// # Errors
/// [`Error::InvalidWeights`] describing the first problem found.
pub fn load_model(bytes: &[u8]) -> Result<(IclTransformer, ModelMeta)> {
    let meta = read_meta(bytes)?;
    let file = safetensors::SafeTensors::deserialize(bytes)
        .map_err(|e| weights_error(format!("not a readable safetensors file ({e})")))?;
    let mut tensors = HashMap::new();
    for (name, view) in file.tensors() {
        use safetensors::Dtype as St;
        if !matches!(view.dtype(), St::F32 | St::F16 | St::BF16) {
            return Err(weights_error(format!("tensor '{name}' has dtype {:?}; expected f32, f16 or bf16", view.dtype())));
        }
        let tensor = candle_core::safetensors::Load::load(&view, &Device::Cpu)
            .and_then(|t| t.to_dtype(DType::F32))
            .map_err(|e| weights_error(format!("tensor '{name}': {e}")))?;
        tensors.insert(name, tensor);
    }
    let used = Arc::new(Mutex::new(Vec::new()));
    let backend = CheckedTensors { tensors, used: Arc::clone(&used) };
    let vb = VarBuilder::from_backend(Box::new(backend), DType::F32, Device::Cpu);
    let model = IclTransformer::new(meta.config.clone(), meta.borders.clone(), vb.clone())
        .map_err(|e| weights_error(e.to_string()))?;
    // Every stored tensor must have been used by the architecture.
    let used = used.lock().map_err(|_| weights_error("tensor bookkeeping lock poisoned"))?;
    if let Some(extra) = file.names().into_iter().find(|n| !used.iter().any(|u| u == n)) {
        return Err(weights_error(format!("unexpected tensor '{extra}' for this architecture")));
    }
    Ok((model, meta))
}

/// A `VarBuilder` backend over a file's tensors that checks each requested name and shape.
struct CheckedTensors {
    tensors: HashMap<String, Tensor>,
    /// Names handed out so far, read back by `load_model` to find unexpected tensors.
    used: Arc<Mutex<Vec<String>>>,
}

impl SimpleBackend for CheckedTensors {
    fn get(&self, shape: Shape, name: &str, _: Init, dtype: DType, _: &Device) -> candle_core::Result<Tensor> {
        let tensor = self.get_unchecked(name, dtype, &Device::Cpu)?;
        if tensor.shape() != &shape {
            candle_core::bail!("tensor '{name}' has shape {:?}; this architecture needs {:?}", tensor.dims(), shape.dims());
        }
        Ok(tensor)
    }

    fn get_unchecked(&self, name: &str, dtype: DType, _: &Device) -> candle_core::Result<Tensor> {
        let tensor = self.tensors.get(name).ok_or_else(|| candle_core::Error::Msg(format!("tensor '{name}' is missing")))?;
        if let Ok(mut used) = self.used.lock() {
            used.push(name.to_string());
        }
        tensor.to_dtype(dtype)
    }

    fn contains_tensor(&self, name: &str) -> bool {
        self.tensors.contains_key(name)
    }
}
