//! Multi-head self-attention on a packed q|k|v projection, fused, with its backward, under one
//! of two attention patterns: causal (GPT-2) or context-and-self (prior-fitted networks).
//!
//! Composed from candle ops, attention is a reshape, a permute, three strided copies, a scale,
//! two batched matmuls around the softmax, a transpose and a reshape, and autograd then adds a
//! full-size gradient for every one of them. Here each (batch, head) is two GEMMs on strided
//! views of the projection and one softmax pass in a t × t scratch buffer; the backward
//! recomputes the probabilities (as FlashAttention does, Dao et al. 2022) and writes dq, dk, dv
//! straight into the gradient of the projection.

use super::matmul::{MatRef, Threads, gemm};
use super::par::for_row_blocks;
use super::softmax::{softmax_backward_in_place, softmax_in_place};
use super::{Real, check_dtype, contiguous_slice, with_slice};
use candle_core::backend::BackendStorage;
use candle_core::{CpuStorage, CustomOp1, DType, Layout, Shape, Tensor};

const NAME: &str = "self_attention";

/// Which tokens each token of a sequence attends to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttentionPattern {
    /// Token i sees tokens 0..=i (GPT-2's causal mask; Garg et al.'s interleaved encoding).
    Causal,
    /// One context size `c` per batch element: its first `c` tokens are the context and the
    /// rest are queries. Every token sees all `c` context tokens; a query also sees itself and
    /// nothing else (prior-fitted networks, Müller et al. 2022, §3; the automl/PFNs attention
    /// mask). The output is unchanged by any permutation of the context tokens.
    ContextAndSelf(Vec<usize>),
}

impl AttentionPattern {
    /// Row `i` of batch element `batch` sees keys `0..lead` and, if `Some(j)` (`j ≥ lead`), key `j`.
    #[inline(always)]
    fn visible(&self, batch: usize, i: usize) -> (usize, Option<usize>) {
        match self {
            Self::Causal => (i + 1, None),
            Self::ContextAndSelf(context) if i < context[batch] => (context[batch], None),
            Self::ContextAndSelf(context) => (context[batch], Some(i)),
        }
    }
}

/// Multi-head scaled dot-product self-attention (Vaswani et al. 2017, §3.2) from the packed
/// output of the qkv projection, masked by `pattern`.
///
/// Shapes: `qkv` [b, t, 3E] holding q | k | v, each E = H·hd wide with head h in columns
/// h·hd..(h+1)·hd (the layout of GPT-2's `c_attn`) → y [b, t, E] with the heads concatenated:
/// yᵢ = Σ_{j visible from i} softmaxⱼ(qᵢ·kⱼ / √hd) vⱼ per head. f32 (fast path) or f64, on the
/// CPU. Backward gives the gradient of `qkv`. A non-contiguous input is copied first.
///
/// # Errors
/// If `qkv` is not rank 3, its last dim is not 3·E with E a positive multiple of `n_head`, the
/// dtype is not f32/f64, it is not on the CPU, or a context-and-self pattern does not give one
/// context size `≤ t` per batch element.
pub fn self_attention(qkv: &Tensor, n_head: usize, pattern: &AttentionPattern) -> candle_core::Result<Tensor> {
    let (b, t, three_e) = qkv.dims3()?;
    if n_head == 0 || three_e == 0 || three_e % (3 * n_head) != 0 {
        candle_core::bail!("{NAME}: last dim {three_e} of {:?} is not 3·E with E a positive multiple of {n_head} heads", qkv.dims());
    }
    if let AttentionPattern::ContextAndSelf(context) = pattern
        && (context.len() != b || context.iter().any(|&c| c > t))
    {
        candle_core::bail!("{NAME}: context sizes {context:?} do not fit {b} sequences of {t} tokens");
    }
    check_dtype(qkv.dtype(), NAME)?;
    qkv.contiguous()?.apply_op1(Attention { n_head, pattern: pattern.clone() })
}

/// The custom op: the number of heads and the pattern.
struct Attention {
    n_head: usize,
    pattern: AttentionPattern,
}

/// Sizes of one call: batch, tokens, width E, heads, head width.
#[derive(Clone, Copy)]
struct Dims {
    b: usize,
    t: usize,
    e: usize,
    h: usize,
    hd: usize,
}

impl Dims {
    fn new(dims: &[usize], n_head: usize) -> Self {
        let e = dims[2] / 3;
        Self { b: dims[0], t: dims[1], e, h: n_head, hd: e / n_head }
    }

    /// Multiply–adds of the forward pass (for the thread count).
    fn work(&self) -> usize {
        2 * self.b * self.t * self.t * self.e
    }

    /// The q, k and v views of head `head` in one batch element's `[t, 3E]` block.
    fn qkv<'a, T>(&self, block: &'a [T], head: usize) -> [MatRef<'a, T>; 3] {
        let (t, e, hd) = (self.t, self.e, self.hd);
        [0, e, 2 * e].map(|offset| MatRef::rows(&block[offset + head * hd..], t, hd, 3 * e))
    }

    /// `p` [t, t] ← softmax(q·kᵀ / √hd) over the keys `pattern` shows row i of batch element
    /// `batch`; masked entries 0.
    #[inline(always)]
    fn probabilities<T: Real>(&self, q: MatRef<T>, k: MatRef<T>, pattern: &AttentionPattern, batch: usize, p: &mut [T]) {
        let t = self.t;
        let scale = T::one() / T::from_f64(self.hd as f64).sqrt();
        gemm(p, t, q, k.t(), scale, false, Threads::One);
        for (i, row) in p.chunks_exact_mut(t).enumerate() {
            match pattern.visible(batch, i) {
                (lead, None) => {
                    let (visible, masked) = row.split_at_mut(lead);
                    softmax_in_place(visible);
                    masked.fill(T::zero());
                }
                (lead, Some(own)) => {
                    // Gather the own score next to the leading keys, softmax, scatter back.
                    row[lead] = row[own];
                    softmax_in_place(&mut row[..=lead]);
                    let p_own = row[lead];
                    row[lead..].fill(T::zero());
                    row[own] = p_own;
                }
            }
        }
    }
}

fn forward<T: Real>(qkv: &[T], d: Dims, pattern: &AttentionPattern) -> Vec<T> {
    let (t, e) = (d.t, d.e);
    let mut y = vec![T::zero(); d.b * t * e];
    if y.is_empty() {
        return y;
    }
    for_row_blocks(&mut y, t * e, d.work(), #[inline(always)] |first, block| {
        let mut p = vec![T::zero(); t * t];
        for (i, yb) in block.chunks_exact_mut(t * e).enumerate() {
            let xb = &qkv[(first + i) * t * 3 * e..][..t * 3 * e];
            for head in 0..d.h {
                let [q, k, v] = d.qkv(xb, head);
                d.probabilities(q, k, pattern, first + i, &mut p);
                gemm(&mut yb[head * d.hd..], e, MatRef::rows(&p, t, t, t), v, T::one(), false, Threads::One);
            }
        }
    });
    y
}

/// Gradient of the projection [b, t, 3E] given the output gradient `g` [b, t, E].
fn backward<T: Real>(qkv: &[T], g: &[T], d: Dims, pattern: &AttentionPattern) -> Vec<T> {
    let (t, e, hd) = (d.t, d.e, d.hd);
    let scale = T::one() / T::from_f64(hd as f64).sqrt();
    let mut dqkv = vec![T::zero(); qkv.len()];
    if dqkv.is_empty() {
        return dqkv;
    }
    for_row_blocks(&mut dqkv, t * 3 * e, 3 * d.work(), #[inline(always)] |first, block| {
        let mut p = vec![T::zero(); t * t];
        let mut dp = vec![T::zero(); t * t];
        for (i, db) in block.chunks_exact_mut(t * 3 * e).enumerate() {
            let xb = &qkv[(first + i) * t * 3 * e..][..t * 3 * e];
            let gb = &g[(first + i) * t * e..][..t * e];
            for head in 0..d.h {
                let [q, k, v] = d.qkv(xb, head);
                let dout = MatRef::rows(&gb[head * hd..], t, hd, e);
                d.probabilities(q, k, pattern, first + i, &mut p);
                let p_mat = MatRef::rows(&p, t, t, t);
                // dv = pᵀ · dout
                gemm(&mut db[2 * e + head * hd..], 3 * e, p_mat.t(), dout, T::one(), false, Threads::One);
                // dp = dout · vᵀ, then the softmax backward row by row over the span that holds
                // the visible keys (a masked key inside it has p = 0, so its gradient is 0)
                gemm(&mut dp, t, dout, v.t(), T::one(), false, Threads::One);
                for (r, (dpr, pr)) in dp.chunks_exact_mut(t).zip(p.chunks_exact(t)).enumerate() {
                    let span = match pattern.visible(first + i, r) {
                        (lead, None) => lead,
                        (_, Some(own)) => own + 1,
                    };
                    let (visible, masked) = dpr.split_at_mut(span);
                    softmax_backward_in_place(&pr[..span], visible);
                    masked.fill(T::zero());
                }
                let ds = MatRef::rows(&dp, t, t, t);
                // dq = ds · k / √hd, dk = dsᵀ · q / √hd
                gemm(&mut db[head * hd..], 3 * e, ds, k, scale, false, Threads::One);
                gemm(&mut db[e + head * hd..], 3 * e, ds.t(), q, scale, false, Threads::One);
            }
        }
    });
    dqkv
}

fn backward_tensor<T: Real>(qkv: &Tensor, grad: &Tensor, d: Dims, pattern: &AttentionPattern) -> candle_core::Result<Tensor> {
    let dx = with_slice::<T, _>(qkv, NAME, |x| with_slice::<T, _>(grad, NAME, |g| Ok(backward(x, g, d, pattern))))?;
    Tensor::from_vec(dx, qkv.shape(), qkv.device())
}

impl CustomOp1 for Attention {
    fn name(&self) -> &'static str {
        "incontext-self-attention"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let d = Dims::new(layout.dims(), self.n_head);
        let out = match storage {
            CpuStorage::F32(_) => CpuStorage::F32(forward::<f32>(contiguous_slice(storage, layout, NAME)?, d, &self.pattern)),
            CpuStorage::F64(_) => CpuStorage::F64(forward::<f64>(contiguous_slice(storage, layout, NAME)?, d, &self.pattern)),
            other => candle_core::bail!("{NAME}: unsupported dtype {:?}", other.dtype()),
        };
        Ok((out, Shape::from((d.b, d.t, d.e))))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad: &Tensor) -> candle_core::Result<Option<Tensor>> {
        let d = Dims::new(arg.dims(), self.n_head);
        let dx = match arg.dtype() {
            DType::F32 => backward_tensor::<f32>(arg, grad, d, &self.pattern)?,
            DType::F64 => backward_tensor::<f64>(arg, grad, d, &self.pattern)?,
            other => candle_core::bail!("{NAME}: unsupported dtype {other:?}"),
        };
        Ok(Some(dx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_util::{check_gradients, random};
    use candle_core::{D, Device};

    /// Whether row `i` of batch element `batch` sees key `j`, written out from the definitions.
    fn sees(pattern: &AttentionPattern, batch: usize, i: usize, j: usize) -> bool {
        match pattern {
            AttentionPattern::Causal => j <= i,
            AttentionPattern::ContextAndSelf(c) => j < c[batch] || j == i,
        }
    }

    /// Attention composed from candle ops (split heads, q·kᵀ/√hd, −∞ on masked keys, softmax,
    /// ·v, merge heads), the reference.
    fn composed(qkv: &Tensor, h: usize, pattern: &AttentionPattern) -> Tensor {
        let (b, t, three_e) = qkv.dims3().unwrap();
        let (e, hd) = (three_e / 3, three_e / 3 / h);
        let heads = |i: usize| {
            qkv.narrow(2, i * e, e).unwrap().reshape((b, t, h, hd)).unwrap().transpose(1, 2).unwrap().contiguous().unwrap()
        };
        let (q, k, v) = (heads(0), heads(1), heads(2)); // [b, h, t, hd]
        let scores = (q.matmul(&k.t().unwrap()).unwrap() / (hd as f64).sqrt()).unwrap(); // [b, h, t, t]
        let mask: Vec<f32> = (0..b * t * t)
            .map(|m| if sees(pattern, m / (t * t), m / t % t, m % t) { 0.0 } else { f32::NEG_INFINITY })
            .collect();
        let mask = Tensor::from_vec(mask, (b, 1, t, t), &Device::Cpu).unwrap().to_dtype(qkv.dtype()).unwrap();
        let att = candle_nn::ops::softmax(&scores.broadcast_add(&mask).unwrap(), D::Minus1).unwrap();
        att.matmul(&v).unwrap().transpose(1, 2).unwrap().reshape((b, t, e)).unwrap()
    }

    fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
        (a - b).unwrap().abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap()
    }

    /// Forward equals the composed ops, single- and multi-threaded sizes, several head counts,
    /// both patterns (context sizes 0, 1, some and all tokens).
    #[test]
    fn forward_matches_composed_candle_ops() {
        for (shape, heads, seed) in [([2usize, 5, 24], 2usize, 51u64), ([3, 7, 12], 1, 52), ([16, 40, 96], 4, 53)] {
            let qkv = random(&shape, seed, DType::F32);
            let context = (0..shape[0]).map(|i| [0, 1, shape[1] / 2, shape[1]][i % 4]).collect();
            for pattern in [AttentionPattern::Causal, AttentionPattern::ContextAndSelf(context)] {
                let fused = self_attention(&qkv, heads, &pattern).unwrap();
                let expect = composed(&qkv, heads, &pattern);
                assert_eq!(fused.dims(), expect.dims());
                assert!(max_abs_diff(&fused, &expect) < 1e-5, "{shape:?} with {heads} heads, {pattern:?}");
            }
        }
    }

    /// Causal: the output at token i does not depend on later tokens.
    #[test]
    fn later_tokens_do_not_change_earlier_outputs() {
        let qkv = random(&[2, 6, 24], 54, DType::F32);
        let prefix = qkv.narrow(1, 0, 4).unwrap();
        let full = self_attention(&qkv, 2, &AttentionPattern::Causal).unwrap().narrow(1, 0, 4).unwrap();
        let short = self_attention(&prefix, 2, &AttentionPattern::Causal).unwrap();
        assert!(max_abs_diff(&full, &short) < 1e-6);
    }

    /// Context-and-self: permuting the context tokens permutes their outputs the same way and
    /// leaves every query's output unchanged; a query's output does not depend on other queries.
    #[test]
    fn context_order_and_other_queries_do_not_matter() {
        let (t, c) = (7, 4);
        let qkv = random(&[1, t, 24], 57, DType::F32);
        let pattern = AttentionPattern::ContextAndSelf(vec![c]);
        let out = self_attention(&qkv, 2, &pattern).unwrap();
        let order = Tensor::new(&[2u32, 0, 3, 1, 4, 5, 6], &Device::Cpu).unwrap();
        let permuted = self_attention(&qkv.index_select(&order, 1).unwrap(), 2, &pattern).unwrap();
        assert!(max_abs_diff(&out.index_select(&order, 1).unwrap(), &permuted) < 1e-6);
        // The last query alone after the context gives the same output as among other queries.
        let alone = Tensor::cat(&[qkv.narrow(1, 0, c).unwrap(), qkv.narrow(1, t - 1, 1).unwrap()], 1).unwrap();
        let alone_out = self_attention(&alone, 2, &pattern).unwrap();
        assert!(max_abs_diff(&alone_out.narrow(1, c, 1).unwrap(), &out.narrow(1, t - 1, 1).unwrap()) < 1e-6);
    }

    /// Gradient of the projection against central finite differences, both patterns.
    #[test]
    fn backward_matches_finite_differences() {
        let qkv = random(&[2, 4, 12], 55, DType::F64);
        check_gradients(std::slice::from_ref(&qkv), 56, |v| self_attention(&v[0], 2, &AttentionPattern::Causal));
        let pattern = AttentionPattern::ContextAndSelf(vec![1, 3]);
        check_gradients(&[qkv], 58, |v| self_attention(&v[0], 2, &pattern));
    }

    /// Widths that do not split into q, k, v and heads, and context sizes that do not fit, are
    /// errors.
    #[test]
    fn bad_shapes_are_errors() {
        let causal = AttentionPattern::Causal;
        let qkv = Tensor::zeros((1, 3, 12), DType::F32, &Device::Cpu).unwrap();
        assert!(self_attention(&qkv, 2, &causal).is_ok());
        assert!(self_attention(&qkv, 3, &causal).is_err());
        assert!(self_attention(&qkv, 0, &causal).is_err());
        assert!(self_attention(&qkv.narrow(2, 0, 10).unwrap(), 2, &causal).is_err());
        assert!(self_attention(&qkv.reshape((3, 12)).unwrap(), 2, &causal).is_err());
        assert!(self_attention(&qkv, 2, &AttentionPattern::ContextAndSelf(vec![3])).is_ok());
        assert!(self_attention(&qkv, 2, &AttentionPattern::ContextAndSelf(vec![4])).is_err());
        assert!(self_attention(&qkv, 2, &AttentionPattern::ContextAndSelf(vec![1, 1])).is_err());
    }
}
