//! Inference session: the context prefix runs once with cached keys/values, then any number of
//! query points are evaluated in one batched pass (docs/DESIGN.md, "Inference session"), so a
//! curve of `Q` points costs `O(n + Q)` tokens instead of `O(n·Q)`.

use super::tokens::{context_tokens, query_tokens};
use super::transformer::{Attend, CachedKeysValues, HeadOutputs, IclTransformer};
use crate::error::{Result, invalid};
use crate::predictive::{BarDistribution, Distribution, Predictive, validate_queries};
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
    /// [`crate::Error::InvalidInput`] when `context.d > n_dims`, `k >= max_points` (the query
    /// needs a position too), or a value lies outside ±[`MAX_ABS_INPUT`].
    pub fn new(model: &'a IclTransformer, context: &Context) -> Result<Self> {
        let cfg = model.config();
        let (k, d) = (context.len(), context.d);
        check_range(context.xs, "context x")?;
        check_range(context.ys, "context y")?;
        if d > cfg.n_dims {
            return invalid(format!("context has dimension {d}, the model takes at most {}", cfg.n_dims));
        }
        if k >= cfg.max_points {
            return invalid(format!(
                "{k} context points: this model takes at most {} (max_points {} includes the query)",
                cfg.max_points - 1,
                cfg.max_points
            ));
        }
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
    /// [`crate::Error::InvalidInput`] for a query block that is not `[q, d]` or holds NaN/Inf
    /// or values outside ±[`MAX_ABS_INPUT`].
    pub fn predict(&self, queries: &[f64]) -> Result<Vec<Predictive>> {
        let q = validate_queries(self.d, queries)?;
        check_range(queries, "query x")?;
        if q == 0 {
            return Ok(Vec::new());
        }
        let tokens = query_tokens(self.model.config(), &f32_tensor(queries, (1, q, self.d))?, self.k)?; // [1, q, w]
        let h = self.model.embed(&tokens)?; // [1, q, E]
        let (h, _) = self.model.run_blocks(h, Attend::CachedAndSelf(&self.cache), false)?; // [1, q, E]
        let heads = self.model.heads(&h.squeeze(0)?)?; // [q, K], [q, F]
        predictives(&heads, self.model.borders())
    }
}

/// Largest `|x|` or `|y|` the model takes. Pretraining saw `|x| < 6` and `|y| < 7`; far beyond
/// that the f32 activations overflow (1e300 becomes inf) and the outputs turn to NaN.
pub const MAX_ABS_INPUT: f64 = 1e6;

fn check_range(values: &[f64], what: &str) -> Result<()> {
    match values.iter().position(|v| v.abs() > MAX_ABS_INPUT) {
        Some(i) => invalid(format!(
            "{what}[{i}] = {:e} is outside ±{MAX_ABS_INPUT:e}, the range the model takes (pretraining saw |x| < 6, |y| < 7; standardise the data first)",
            values[i]
        )),
        None => Ok(()),
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
