//! The transformer as a [`Predictor`] for the evaluation harness.

use super::session::{InferenceSession, predictives};
use super::transformer::IclTransformer;
use super::weights::{ModelMeta, load_model};
use crate::error::Result;
use crate::predictive::{Predictive, Predictor};
use crate::tasks::{Context, Prompt};
use candle_core::{Device, Tensor};

/// A loaded model answering in-context queries.
pub struct TransformerPredictor {
    model: IclTransformer,
    meta: ModelMeta,
    label: String,
}

impl TransformerPredictor {
    /// Loads a model from safetensors bytes; `label` names it in reports (e.g. the path).
    ///
    /// # Errors
    /// As [`load_model`].
    pub fn from_bytes(bytes: &[u8], label: &str) -> Result<Self> {
        let (model, meta) = load_model(bytes)?;
        Ok(Self { model, meta, label: label.to_string() })
    }

    /// Wraps an in-memory model.
    pub fn new(model: IclTransformer, meta: ModelMeta, label: &str) -> Self {
        Self { model, meta, label: label.to_string() }
    }

    /// The model's metadata.
    pub fn meta(&self) -> &ModelMeta {
        &self.meta
    }

    /// The model.
    pub fn model(&self) -> &IclTransformer {
        &self.model
    }
}

impl Predictor for TransformerPredictor {
    fn name(&self) -> String {
        format!("transformer:{}", self.label)
    }

    fn predict(&self, context: &Context, queries: &[f64]) -> Result<Vec<Predictive>> {
        InferenceSession::new(&self.model, context)?.predict(queries)
    }

    /// One batched forward pass gives the prediction at every position from the points before it.
    fn predict_prompt(&self, prompt: &Prompt) -> Result<Vec<Predictive>> {
        let (n, d) = (prompt.len(), prompt.d);
        let xs: Vec<f32> = prompt.xs.iter().map(|&v| v as f32).collect();
        let ys: Vec<f32> = prompt.ys.iter().map(|&v| v as f32).collect();
        let xs = Tensor::from_vec(xs, (1, n, d), &Device::Cpu)?; // [1, n, d]
        let ys = Tensor::from_vec(ys, (1, n), &Device::Cpu)?; // [1, n]
        let heads = self.model.forward_each_point(&xs, &ys)?; // [n, K], [n, F]
        predictives(&heads, self.model.borders())
    }
}
