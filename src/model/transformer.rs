//! The in-context transformer: a GPT-2 backbone with a bar-distribution head and a family head,
//! under either encoding (docs/SCIENCE.md, "The model: two encodings"): the prefix encoding of
//! prior-fitted networks or Garg et al.'s interleaved one. The encoding decides the tokens
//! ([`super::tokens`]), the embedding table and the attention pattern; the blocks are the same.
//!
//! Parameter names (stable; they are the safetensors keys):
//! `read_in.{weight,bias}`, `wpe` (interleaved: positions) or `wtt` (prefix: token types),
//! `h.{i}.ln_1.{weight,bias}`, `h.{i}.attn.c_attn.{weight,bias}`,
//! `h.{i}.attn.c_proj.{weight,bias}`, `h.{i}.ln_2.{weight,bias}`, `h.{i}.mlp.c_fc.{weight,bias}`,
//! `h.{i}.mlp.c_proj.{weight,bias}`, `ln_f.{weight,bias}`, `bar_head.{weight,bias}`,
//! `family_head.{weight,bias}`. Linear weights are `[out, in]`.

use super::config::{Encoding, ModelConfig};
use super::tokens::{Tokens, prompt_tokens};
use crate::error::{Result, invalid};
use crate::ops::{self, AttentionMask, AttentionPattern};
use candle_core::{D, Tensor};
use candle_nn::{Init, VarBuilder};

/// GPT-2's initialisation scale for weights.
const INIT_STD: f64 = 0.02;
/// LayerNorm epsilon (GPT-2).
const LN_EPS: f64 = 1e-5;

/// An affine layer `y = x·Wᵀ + b` through the fused op of [`crate::ops`]; `W` is `[out, in]`.
#[derive(Clone, Debug)]
struct Linear {
    weight: Tensor,
    bias: Tensor,
}

impl Linear {
    /// `x [.., in]` → `[.., out]`.
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Ok(ops::linear(x, &self.weight, &self.bias)?)
    }
}

fn linear(vb: VarBuilder, in_dim: usize, out_dim: usize, std: f64) -> Result<Linear> {
    Ok(Linear {
        weight: vb.get_with_hints((out_dim, in_dim), "weight", Init::Randn { mean: 0.0, stdev: std })?,
        bias: vb.get_with_hints(out_dim, "bias", Init::Const(0.0))?,
    })
}

/// LayerNorm (Ba et al. 2016) through the fused op of [`crate::ops`], which has a backward.
#[derive(Clone, Debug)]
struct LayerNorm {
    gamma: Tensor,
    beta: Tensor,
}

impl LayerNorm {
    fn new(vb: VarBuilder, size: usize) -> Result<Self> {
        Ok(Self {
            gamma: vb.get_with_hints(size, "weight", Init::Const(1.0))?,
            beta: vb.get_with_hints(size, "bias", Init::Const(0.0))?,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Ok(ops::layer_norm(x, &self.gamma, &self.beta, LN_EPS)?)
    }
}

/// Keys and values of already-processed tokens that new tokens attend to, `[1, H, P, hd]`
/// each; used by the inference session (each query attends to the prefix and itself).
#[derive(Clone, Debug)]
pub(crate) struct CachedKeysValues {
    pub keys: Tensor,
    pub values: Tensor,
}

/// What the tokens of one pass attend to.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Attend<'a> {
    /// Each other, under a pattern (training, and a session's context).
    Within(&'a AttentionPattern),
    /// Per block, cached keys and values, and each token itself (a session's queries).
    CachedAndSelf(&'a [CachedKeysValues]),
}

/// Splits the packed projection `qkv [b, t, 3E]` into `(q, k, v)`, each `[b, H, t, hd]`.
fn split_heads(qkv: &Tensor, n_head: usize) -> Result<(Tensor, Tensor, Tensor)> {
    let (b, t, three_e) = qkv.dims3()?;
    let hd = three_e / (3 * n_head);
    let heads = qkv.reshape((b, t, 3, n_head, hd))?.permute((2, 0, 3, 1, 4))?; // [3, b, H, t, hd]
    Ok((heads.get(0)?.contiguous()?, heads.get(1)?.contiguous()?, heads.get(2)?.contiguous()?))
}

/// Multi-head self-attention (Vaswani et al. 2017) in GPT-2 layout.
#[derive(Clone, Debug)]
struct Attention {
    c_attn: Linear,
    c_proj: Linear,
    n_head: usize,
}

impl Attention {
    fn new(vb: VarBuilder, cfg: &ModelConfig) -> Result<Self> {
        let proj_std = INIT_STD / (2.0 * cfg.n_layer as f64).sqrt();
        Ok(Self {
            c_attn: linear(vb.pp("c_attn"), cfg.n_embd, 3 * cfg.n_embd, INIT_STD)?,
            c_proj: linear(vb.pp("c_proj"), cfg.n_embd, cfg.n_embd, proj_std)?,
            n_head: cfg.n_head,
        })
    }

    /// `x [b, t, E]` → `(out [b, t, E], qkv [b, t, 3E])` in block `layer`. `Within`: the `t`
    /// tokens attend to each other under the pattern (the fused op). `CachedAndSelf` (`b = 1`):
    /// each of the `t` tokens attends to the block's `P` cached tokens and to itself only.
    fn forward(&self, x: &Tensor, attend: Attend, layer: usize) -> Result<(Tensor, Tensor)> {
        let qkv = self.c_attn.forward(x)?; // [b, t, 3E]
        let y = match attend {
            Attend::Within(pattern) => ops::self_attention(&qkv, self.n_head, pattern)?, // [b, t, E]
            Attend::CachedAndSelf(cache) => self.attend_prefix_and_self(&qkv, &cache[layer])?, // [b, t, E]
        };
        Ok((self.c_proj.forward(&y)?, qkv))
    }

    /// Each query token attends to the cached prefix and to itself: `qkv [1, t, 3E]` → `[1, t, E]`.
    fn attend_prefix_and_self(&self, qkv: &Tensor, cache: &CachedKeysValues) -> Result<Tensor> {
        let (b, t, three_e) = qkv.dims3()?;
        let (q, k, v) = split_heads(qkv, self.n_head)?; // [1, H, t, hd] each
        let hd = three_e / (3 * self.n_head);
        let q = (q * (1.0 / (hd as f64).sqrt()))?;
        let p = cache.keys.dim(2)?;
        if p == 0 {
            // Only itself to attend to: its softmax weight is 1.
            return Ok(v.transpose(1, 2)?.reshape((b, t, three_e / 3))?); // [1, t, E]
        }
        let self_score = (&q * &k)?.sum_keepdim(D::Minus1)?; // [1, H, t, 1]
        let prefix_scores = q.matmul(&cache.keys.t()?)?; // [1, H, t, P]
        let scores = Tensor::cat(&[&prefix_scores, &self_score], D::Minus1)?; // [1, H, t, P+1]
        let att = ops::softmax_last_dim(&scores, AttentionMask::None)?; // [1, H, t, P+1]
        let from_prefix = att.narrow(3, 0, p)?.matmul(&cache.values)?; // [1, H, t, hd]
        let from_self = att.narrow(3, p, 1)?.broadcast_mul(&v)?; // [1, H, t, hd]
        Ok((from_prefix + from_self)?.transpose(1, 2)?.reshape((b, t, three_e / 3))?) // [1, t, E]
    }
}

/// GPT-2 MLP: `E → 4E → GELU → E`.
#[derive(Clone, Debug)]
struct Mlp {
    c_fc: Linear,
    c_proj: Linear,
}

impl Mlp {
    fn new(vb: VarBuilder, cfg: &ModelConfig) -> Result<Self> {
        let proj_std = INIT_STD / (2.0 * cfg.n_layer as f64).sqrt();
        Ok(Self {
            c_fc: linear(vb.pp("c_fc"), cfg.n_embd, 4 * cfg.n_embd, INIT_STD)?,
            c_proj: linear(vb.pp("c_proj"), 4 * cfg.n_embd, cfg.n_embd, proj_std)?,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let h = self.c_fc.forward(x)?; // [b, t, 4E]
        self.c_proj.forward(&ops::gelu(&h)?) // [b, t, E]
    }
}

/// A pre-LayerNorm GPT-2 block: `x + attn(ln_1(x))`, then `+ mlp(ln_2(·))`.
#[derive(Clone, Debug)]
struct Block {
    ln_1: LayerNorm,
    attn: Attention,
    ln_2: LayerNorm,
    mlp: Mlp,
}

impl Block {
    fn new(vb: VarBuilder, cfg: &ModelConfig) -> Result<Self> {
        Ok(Self {
            ln_1: LayerNorm::new(vb.pp("ln_1"), cfg.n_embd)?,
            attn: Attention::new(vb.pp("attn"), cfg)?,
            ln_2: LayerNorm::new(vb.pp("ln_2"), cfg.n_embd)?,
            mlp: Mlp::new(vb.pp("mlp"), cfg)?,
        })
    }

    /// `x [b, t, E]` → `(out [b, t, E], qkv [b, t, 3E])` of this block's attention.
    fn forward(&self, x: &Tensor, attend: Attend, layer: usize) -> Result<(Tensor, Tensor)> {
        let (a, qkv) = self.attn.forward(&self.ln_1.forward(x)?, attend, layer)?;
        let h = (x + a)?; // [b, t, E]
        let out = (&h + self.mlp.forward(&self.ln_2.forward(&h)?)?)?; // [b, t, E]
        Ok((out, qkv))
    }
}

/// Outputs of the two heads, one row per point.
#[derive(Clone, Debug)]
pub struct HeadOutputs {
    /// `[b, n, K]` bar-distribution logits of `y_i` (interleaved: from points `0..i`; prefix:
    /// from the prompt's context).
    pub bar_logits: Tensor,
    /// `[b, n, F]` family logits.
    pub family_logits: Tensor,
}

/// The in-context learner (docs/SCIENCE.md, "The model: two encodings").
#[derive(Clone, Debug)]
pub struct IclTransformer {
    config: ModelConfig,
    borders: Vec<f64>,
    read_in: Linear,
    /// `[embedding_rows, E]`: positions (interleaved) or token types (prefix).
    embedding: Tensor,
    blocks: Vec<Block>,
    ln_f: LayerNorm,
    bar_head: Linear,
    family_head: Linear,
}

impl IclTransformer {
    /// Builds the model from `vb`: fresh GPT-2 initialisation when `vb` is backed by a
    /// `VarMap`, or the stored tensors when it is backed by loaded weights.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] for an invalid config or borders that are not `[K + 1]`
    /// strictly increasing values; candle errors for missing or misshapen tensors.
    pub fn new(config: ModelConfig, borders: Vec<f64>, vb: VarBuilder) -> Result<Self> {
        config.validate()?;
        if borders.len() != config.bins + 1 || !borders.iter().all(|b| b.is_finite()) || borders.windows(2).any(|w| w[0] >= w[1]) {
            return invalid(format!("need {} strictly increasing bar borders (got {})", config.bins + 1, borders.len()));
        }
        let e = config.n_embd;
        let blocks = (0..config.n_layer).map(|i| Block::new(vb.pp(format!("h.{i}")), &config)).collect::<Result<_>>()?;
        Ok(Self {
            read_in: linear(vb.pp("read_in"), config.token_width(), e, INIT_STD)?,
            embedding: vb.get_with_hints(
                (config.embedding_rows(), e),
                config.embedding_name(),
                Init::Randn { mean: 0.0, stdev: INIT_STD / 2.0 },
            )?,
            blocks,
            ln_f: LayerNorm::new(vb.pp("ln_f"), e)?,
            bar_head: linear(vb.pp("bar_head"), e, config.bins, INIT_STD)?,
            family_head: linear(vb.pp("family_head"), e, config.families.len(), INIT_STD)?,
            config,
            borders,
        })
    }

    /// The architecture.
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// `[K + 1]` bar-distribution borders.
    pub fn borders(&self) -> &[f64] {
        &self.borders
    }

    /// Embeds tokens → `[b, t, E]`: read-in of each row plus its row of the embedding table.
    pub(crate) fn embed(&self, tokens: &Tokens) -> Result<Tensor> {
        let (b, t) = tokens.table_index.dims2()?;
        let table = self.embedding.index_select(&tokens.table_index.flatten_all()?, 0)?; // [b·t, E]
        let table = table.reshape((b, t, self.config.n_embd))?; // [b, t, E]
        Ok((self.read_in.forward(&tokens.rows)? + table)?)
    }

    /// The attention pattern among the tokens of a `k`-point context: causal (interleaved) or
    /// all of them context (prefix).
    pub(crate) fn context_pattern(&self, k: usize) -> AttentionPattern {
        match self.config.encoding {
            Encoding::Interleaved => AttentionPattern::Causal,
            Encoding::Prefix => AttentionPattern::ContextAndSelf(vec![k]),
        }
    }

    /// An empty key/value cache per block (`[1, H, 0, hd]`): queries after an empty context
    /// attend to themselves only.
    pub(crate) fn empty_cache(&self) -> Result<Vec<CachedKeysValues>> {
        let (h, e) = (self.config.n_head, self.config.n_embd);
        let empty = Tensor::zeros((1, h, 0, e / h), candle_core::DType::F32, self.embedding.device())?;
        Ok(vec![CachedKeysValues { keys: empty.clone(), values: empty }; self.blocks.len()])
    }

    /// Runs the blocks; returns the final hidden states `[b, t, E]` (after `ln_f`) and, when
    /// `keep_cache`, each block's keys and values `[b, H, t, hd]` for an inference session.
    pub(crate) fn run_blocks(&self, mut h: Tensor, attend: Attend, keep_cache: bool) -> Result<(Tensor, Vec<CachedKeysValues>)> {
        let mut cache = Vec::with_capacity(if keep_cache { self.blocks.len() } else { 0 });
        for (i, block) in self.blocks.iter().enumerate() {
            let (out, qkv) = block.forward(&h, attend, i)?;
            if keep_cache {
                let (_, keys, values) = split_heads(&qkv, self.config.n_head)?;
                cache.push(CachedKeysValues { keys, values });
            }
            h = out;
        }
        Ok((self.ln_f.forward(&h)?, cache))
    }

    /// Both heads on hidden states `[.., E]` → `([.., K], [.., F])`.
    pub(crate) fn heads(&self, h: &Tensor) -> Result<HeadOutputs> {
        Ok(HeadOutputs { bar_logits: self.bar_head.forward(h)?, family_logits: self.family_head.forward(h)? })
    }

    /// Full forward pass over whole prompts: `xs [b, n, d] f32`, `ys [b, n] f32` → heads at
    /// every point, `[b, n, K]` and `[b, n, F]`. Interleaved (`context` is `None`): point i is
    /// predicted from points `0..i`, causally. Prefix (`context[b] = k_b`): prompt b's first
    /// `k_b` points are its context and every point is predicted from them (the rows of context
    /// points see their own y and are not predictions).
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] for `n > max_points`, `d > n_dims`, or context sizes that
    /// do not match the encoding (see [`prompt_tokens`]); candle errors on malformed tensors.
    pub fn forward(&self, xs: &Tensor, ys: &Tensor, context: Option<&[usize]>) -> Result<HeadOutputs> {
        let (b, n, _) = xs.dims3()?;
        let tokens = prompt_tokens(&self.config, xs, ys, context)?; // rows [b, t, w]
        let pattern = match context {
            None => AttentionPattern::Causal,
            Some(ks) => AttentionPattern::ContextAndSelf(ks.to_vec()),
        };
        let (h, _) = self.run_blocks(self.embed(&tokens)?, Attend::Within(&pattern), false)?; // [b, t, E]
        let at_points = match self.config.encoding {
            Encoding::Interleaved => h.reshape((b, n, 2, self.config.n_embd))?.narrow(2, 0, 1)?.squeeze(2)?, // [b, n, E]
            Encoding::Prefix => h, // [b, n, E]
        };
        self.heads(&at_points)
    }

    /// The prediction of every point of one prompt from the points before it: `xs [1, n, d]`,
    /// `ys [1, n]` → heads `[n, K]`, `[n, F]`. Interleaved: one causal pass. Prefix: `n` copies
    /// of the prompt in one batch, copy i with context size i, read at point i.
    ///
    /// # Errors
    /// As [`IclTransformer::forward`].
    pub fn forward_each_point(&self, xs: &Tensor, ys: &Tensor) -> Result<HeadOutputs> {
        let (_, n, _) = xs.dims3()?;
        let heads = match self.config.encoding {
            Encoding::Interleaved => self.forward(xs, ys, None)?, // [1, n, ·]
            Encoding::Prefix => {
                let ks: Vec<usize> = (0..n).collect();
                let all = self.forward(&xs.repeat((n, 1, 1))?, &ys.repeat((n, 1))?, Some(&ks))?; // [n, n, ·]
                let diagonal = Tensor::arange(0u32, n as u32, xs.device())?.reshape((n, 1, 1))?; // [n, 1, 1]
                let pick = |t: &Tensor| -> Result<Tensor> {
                    let width = t.dim(2)?;
                    Ok(t.gather(&diagonal.repeat((1, 1, width))?.contiguous()?, 1)?.reshape((1, n, width))?) // [1, n, ·]
                };
                HeadOutputs { bar_logits: pick(&all.bar_logits)?, family_logits: pick(&all.family_logits)? }
            }
        };
        Ok(HeadOutputs { bar_logits: heads.bar_logits.squeeze(0)?, family_logits: heads.family_logits.squeeze(0)? })
    }
}
