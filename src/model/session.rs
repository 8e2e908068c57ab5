//! Inference session: the context prefix runs once with cached keys/values, then any number of
//! query points are evaluated in one batched pass (docs/DESIGN.md, "Inference session"), so a
//! curve of `Q` points costs `O(n + Q)` tokens instead of `O(n·Q)`.

use super::input::{validate_context, validate_model_queries};
use super::tokens::{context_tokens, query_tokens};
use super::transformer::{Attend, CachedKeysValues, HeadOutputs, IclTransformer};
use crate::error::Result;
use crate::predictive::{BarDistribution, Distribution, Predictive};
use crate::tasks::Context;
use candle_core::{Device, Tensor};

/// A context run through the model once, ready to answer queries.
pub struct InferenceSession<'a> {
    model: &'a IclTransformer,
    /// Per block, the context's keys and values (`[1, H, t, hd]`, `t` = `2k` interleaved or `k`
    /// prefix; empty for `k = 0`).
    cache: Vec<CachedKeysValues>,
    /// Number of context points `k`.
    k: usize,
    /// Dimension of the context's inputs (`<= n_dims`; padded with zeros).
    d: usize,
}

impl<'a> InferenceSession<'a> {
    /// Runs the context's tokens through the model and caches their keys and values.
    ///
    /// # Errors
    /// As [`validate_context`].
    pub fn new(model: &'a IclTransformer, context: &Context) -> Result<Self> {
        let cfg = model.config();
        let (k, d) = (context.len(), context.d);
        validate_context(cfg, context)?;
        let cache = if k == 0 {
            model.empty_cache()?
        } else {
            let xs = f32_tensor(context.xs, (1, k, d))?; // [1, k, d]
            let ys = f32_tensor(context.ys, (1, k))?; // [1, k]
            let tokens = context_tokens(cfg, &xs, &ys)?; // [1, t, w]
            let pattern = model.context_pattern(k);
            model.run_blocks(model.embed(&tokens)?, Attend::Within(&pattern), true)?.1
        };
        Ok(Self { model, cache, k, d })
    }

    /// Predictive distributions at `queries` (`[q, d]` row-major), each from the context and
    /// the query alone; equal to the full forward pass with the query appended (to ~1e-6).
    ///
    /// # Errors
    /// As [`validate_model_queries`].
    pub fn predict(&self, queries: &[f64]) -> Result<Vec<Predictive>> {
        match self.logits(queries)? {
            Some(heads) => predictives(&heads, self.model.borders()),
            None => Ok(Vec::new()),
        }
    }

    /// The heads' raw logits at `queries` (`[q, d]` row-major): `[q, K]` bar and `[q, F]`
    /// family logits, before the softmax of [`InferenceSession::predict`]; `None` for no
    /// queries. For comparisons with other runtimes (`./build.sh bench web --vs-ort`).
    ///
    /// # Errors
    /// As [`validate_model_queries`].
    pub fn logits(&self, queries: &[f64]) -> Result<Option<HeadOutputs>> {
        let q = validate_model_queries(self.d, queries)?;
        if q == 0 {
            return Ok(None);
        }
        let tokens = query_tokens(self.model.config(), &f32_tensor(queries, (1, q, self.d))?, self.k)?; // [1, q, w]
        let h = self.model.embed(&tokens)?; // [1, q, E]
        let (h, _) = self.model.run_blocks(h, Attend::CachedAndSelf(&self.cache), false)?; // [1, q, E]
        Ok(Some(self.model.heads(&h.squeeze(0)?)?)) // [q, K], [q, F]
    }
}

/// `values` as an f32 tensor of `shape` on the CPU.
pub(crate) fn f32_tensor(values: &[f64], shape: impl Into<candle_core::Shape>) -> Result<Tensor> {
    let data: Vec<f32> = values.iter().map(|&v| v as f32).collect();
    Ok(Tensor::from_vec(data, shape, &Device::Cpu)?)
}

/// Head outputs `[m, K]`, `[m, F]` → `m` predictives with bar distributions and family
/// probabilities (softmax in f32, then f64).
pub(crate) fn predictives(heads: &HeadOutputs, borders: &[f64]) -> Result<Vec<Predictive>> {
    let bar = candle_nn::ops::softmax_last_dim(&heads.bar_logits)?.to_vec2::<f32>()?; // [m, K]
    let fam = candle_nn::ops::softmax_last_dim(&heads.family_logits)?.to_vec2::<f32>()?; // [m, F]
    Ok(bar
        .into_iter()
        .zip(fam)
        .map(|(probs, family)| {
            let dist = BarDistribution {
                borders: borders.to_vec(),
                probs: probs.into_iter().map(f64::from).collect(),
            };
            Predictive {
                mean: dist.mean(),
                distribution: Some(Distribution::Bar(dist)),
                family_probs: Some(family.into_iter().map(f64::from).collect()),
            }
        })
        .collect())
}
