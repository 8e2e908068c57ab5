//! The in-context transformer: Garg et al.'s interleaved encoding on a GPT-2 backbone with a
//! bar-distribution head and a family head (SPEC.md, "Model").
//!
//! Parameter names (stable; they are the safetensors keys):
//! `read_in.{weight,bias}`, `wpe`, `h.{i}.ln_1.{weight,bias}`, `h.{i}.attn.c_attn.{weight,bias}`,
//! `h.{i}.attn.c_proj.{weight,bias}`, `h.{i}.ln_2.{weight,bias}`, `h.{i}.mlp.c_fc.{weight,bias}`,
//! `h.{i}.mlp.c_proj.{weight,bias}`, `ln_f.{weight,bias}`, `bar_head.{weight,bias}`,
//! `family_head.{weight,bias}`. Linear weights are `[out, in]`.

use super::config::ModelConfig;
use crate::error::{Result, invalid};
use crate::ops::{self, AttentionMask};
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

    /// `x [b, t, E]` → `(out [b, t, E], qkv [b, t, 3E])`. Without `prefix`, attention is
    /// causal over the `t` tokens (the fused op). With `prefix` (`b = 1`), each of the `t`
    /// tokens attends to the `P` cached tokens and to itself only.
    fn forward(&self, x: &Tensor, prefix: Option<&CachedKeysValues>) -> Result<(Tensor, Tensor)> {
        let qkv = self.c_attn.forward(x)?; // [b, t, 3E]
        let y = match prefix {
            None => ops::causal_self_attention(&qkv, self.n_head)?, // [b, t, E]
            Some(cache) => self.attend_prefix_and_self(&qkv, cache)?, // [b, t, E]
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
    fn forward(&self, x: &Tensor, prefix: Option<&CachedKeysValues>) -> Result<(Tensor, Tensor)> {
        let (a, qkv) = self.attn.forward(&self.ln_1.forward(x)?, prefix)?;
        let h = (x + a)?; // [b, t, E]
        let out = (&h + self.mlp.forward(&self.ln_2.forward(&h)?)?)?; // [b, t, E]
        Ok((out, qkv))
    }
}

/// Outputs of the two heads at the x-tokens.
#[derive(Clone, Debug)]
pub struct HeadOutputs {
    /// `[b, n, K]` bar-distribution logits; position `i` predicts `y_i` from pairs `0..i`.
    pub bar_logits: Tensor,
    /// `[b, n, F]` family logits.
    pub family_logits: Tensor,
}

/// The in-context learner (SPEC.md, "Model: the Garg encoding, GPT-2 backbone").
#[derive(Clone, Debug)]
pub struct IclTransformer {
    config: ModelConfig,
    borders: Vec<f64>,
    read_in: Linear,
    wpe: Tensor,
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
            read_in: linear(vb.pp("read_in"), config.n_dims, e, INIT_STD)?,
            wpe: vb.get_with_hints((config.positions(), e), "wpe", Init::Randn { mean: 0.0, stdev: INIT_STD / 2.0 })?,
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

    /// Embeds tokens `[b, t, n_dims]` at positions `0..t` → `[b, t, E]`.
    pub(crate) fn embed(&self, tokens: &Tensor) -> Result<Tensor> {
        let t = tokens.dim(1)?;
        let pos = self.wpe.narrow(0, 0, t)?; // [t, E]
        Ok(self.read_in.forward(tokens)?.broadcast_add(&pos)?)
    }

    /// An empty key/value cache per block (`[1, H, 0, hd]`): queries after an empty context
    /// attend to themselves only.
    pub(crate) fn empty_cache(&self) -> Result<Vec<CachedKeysValues>> {
        let (h, e) = (self.config.n_head, self.config.n_embd);
        let empty = Tensor::zeros((1, h, 0, e / h), candle_core::DType::F32, self.wpe.device())?;
        Ok(vec![CachedKeysValues { keys: empty.clone(), values: empty }; self.blocks.len()])
    }

    /// Runs the blocks; returns the final hidden states `[b, t, E]` (after `ln_f`) and, when
    /// `keep_cache`, each block's keys and values `[b, H, t, hd]` for an inference session.
    pub(crate) fn run_blocks(
        &self,
        mut h: Tensor,
        prefix: Option<&[CachedKeysValues]>,
        keep_cache: bool,
    ) -> Result<(Tensor, Vec<CachedKeysValues>)> {
        let mut cache = Vec::with_capacity(if keep_cache { self.blocks.len() } else { 0 });
        for (i, block) in self.blocks.iter().enumerate() {
            let (out, qkv) = block.forward(&h, prefix.map(|p| &p[i]))?;
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

    /// Interleaves `xs [b, n, d]` and `ys [b, n]` into tokens `[b, 2n, n_dims]`
    /// (`x_1, ỹ_1, x_2, ỹ_2, …`, `ỹ = (y, 0, …, 0)`), zero-padding `d < n_dims`.
    pub(crate) fn tokens(&self, xs: &Tensor, ys: &Tensor) -> Result<Tensor> {
        let (b, n, d) = xs.dims3()?;
        let dm = self.config.n_dims;
        if d > dm {
            return invalid(format!("inputs have dimension {d}, the model takes at most {dm}"));
        }
        let xs = if d < dm { xs.pad_with_zeros(D::Minus1, 0, dm - d)? } else { xs.clone() }; // [b, n, dm]
        let ys = ys.unsqueeze(D::Minus1)?.pad_with_zeros(D::Minus1, 0, dm - 1)?; // [b, n, dm]
        Ok(Tensor::stack(&[&xs, &ys], 2)?.reshape((b, 2 * n, dm))?) // [b, 2n, dm]
    }

    /// Full causal forward pass: `xs [b, n, d] f32`, `ys [b, n] f32` → heads at the x-tokens.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] for `n > max_points` or `d > n_dims`; candle errors on
    /// malformed tensors.
    pub fn forward(&self, xs: &Tensor, ys: &Tensor) -> Result<HeadOutputs> {
        let (b, n, _) = xs.dims3()?;
        if n > self.config.max_points {
            return invalid(format!("{n} points exceed the model's max_points {}", self.config.max_points));
        }
        let tokens = self.tokens(xs, ys)?; // [b, 2n, dm]
        let (h, _) = self.run_blocks(self.embed(&tokens)?, None, false)?; // [b, 2n, E]
        let e = self.config.n_embd;
        let at_x = h.reshape((b, n, 2, e))?.narrow(2, 0, 1)?.squeeze(2)?; // [b, n, E]
        self.heads(&at_x)
    }

    /// Embeds query tokens `[1, q, n_dims]` at position `position` (all queries share it).
    pub(crate) fn embed_queries(&self, queries: &Tensor, position: usize) -> Result<Tensor> {
        let pos = self.wpe.narrow(0, position, 1)?; // [1, E]
        Ok(self.read_in.forward(queries)?.broadcast_add(&pos)?) // [1, q, E]
    }
}
