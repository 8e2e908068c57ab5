//! Softmax over the last dimension of attention scores, optionally causally masked, fused, with
//! its backward pass.

use super::math::{dot, max, sum};
use super::par::for_row_blocks;
use super::{Real, check_dtype, contiguous_slice, with_slice};
use candle_core::backend::BackendStorage;
use candle_core::{CpuStorage, CustomOp1, DType, Layout, Shape, Tensor};

const NAME: &str = "softmax_last_dim";

/// Which keys a query may attend to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttentionMask {
    /// Every key is visible.
    None,
    /// For scores [.., t, s] (t queries, s keys), query i sees key j iff j ≤ i + (s − t): with
    /// t = s the usual causal (lower-triangular) mask of a decoder; with t < s, a block of t
    /// queries appended after s − t cached keys, each seeing the whole cache, the earlier queries
    /// of its block and itself.
    Causal,
}

/// Softmax over the last dim of attention scores, masked keys getting probability exactly 0:
/// yᵢⱼ = exp(xᵢⱼ − mᵢ) / Σ_{visible k} exp(xᵢₖ − mᵢ), mᵢ the row maximum over visible keys.
///
/// Shapes: `x` [.., t, s] (e.g. [b, h, t, s]; any leading dims) → same shape, f32 (fast path) or
/// f64, on the CPU; with [`AttentionMask::None`] any rank ≥ 1. Backward:
/// dx = y ⊙ (g − Σⱼ gⱼyⱼ). Non-contiguous inputs are copied first.
///
/// # Errors
/// If `x` has rank 0 (or rank < 2 with `Causal`), if a causal row would see no key (t > s), if
/// the dtype is not f32/f64 or `x` is not on the CPU.
pub fn softmax_last_dim(x: &Tensor, mask: AttentionMask) -> candle_core::Result<Tensor> {
    check_dtype(x.dtype(), NAME)?;
    let s = x.dim(candle_core::D::Minus1)?;
    let t = match mask {
        AttentionMask::None => 1,
        AttentionMask::Causal => {
            let t = x.dim(candle_core::D::Minus2)?;
            if t > s {
                candle_core::bail!("{NAME}: a causal mask needs queries t ≤ keys s, got scores {:?}", x.dims());
            }
            t
        }
    };
    x.contiguous()?.apply_op1(Softmax { mask, t, s })
}

/// In place: v ← softmax(v) = exp(v − max v) / Σ exp(v − max v).
#[inline(always)]
pub(super) fn softmax_in_place<T: Real>(v: &mut [T]) {
    let m = max(v);
    v.iter_mut().for_each(|x| *x = (*x - m).exp());
    let inv = T::one() / sum(v);
    v.iter_mut().for_each(|x| *x *= inv);
}

/// In place: g ← y ⊙ (g − Σⱼ gⱼyⱼ), the gradient of the softmax input given its output `y` and
/// the gradient `g` of that output.
#[inline(always)]
pub(super) fn softmax_backward_in_place<T: Real>(y: &[T], g: &mut [T]) {
    let yg = dot(y, g);
    g.iter_mut().zip(y).for_each(|(g, &y)| *g = y * (*g - yg));
}

/// The custom op: the mask and the query/key lengths it applies to.
struct Softmax {
    mask: AttentionMask,
    t: usize,
    s: usize,
}

impl Softmax {
    /// Number of visible keys in flat row `row` (a prefix of the row).
    #[inline(always)]
    fn visible(&self, row: usize) -> usize {
        match self.mask {
            AttentionMask::None => self.s,
            AttentionMask::Causal => row % self.t + (self.s - self.t) + 1,
        }
    }

    fn forward<T: Real>(&self, x: &[T]) -> Vec<T> {
        let s = self.s;
        let mut y = vec![T::zero(); x.len()];
        if s == 0 {
            return y;
        }
        for_row_blocks(&mut y, s, x.len(), #[inline(always)] |first, block| {
            let x = &x[first * s..];
            for (r, (yr, xr)) in block.chunks_exact_mut(s).zip(x.chunks_exact(s)).enumerate() {
                let n = self.visible(first + r);
                yr[..n].copy_from_slice(&xr[..n]);
                softmax_in_place(&mut yr[..n]); // masked entries stay 0
            }
        });
        y
    }

    fn backward<T: Real>(&self, y: &[T], g: &[T]) -> Vec<T> {
        let s = self.s;
        let mut dx = vec![T::zero(); y.len()];
        if s == 0 {
            return dx;
        }
        for_row_blocks(&mut dx, s, y.len(), #[inline(always)] |first, block| {
            let (y, g) = (&y[first * s..], &g[first * s..]);
            for (r, ((dr, yr), gr)) in block.chunks_exact_mut(s).zip(y.chunks_exact(s)).zip(g.chunks_exact(s)).enumerate() {
                let n = self.visible(first + r);
                dr[..n].copy_from_slice(&gr[..n]);
                softmax_backward_in_place(&yr[..n], &mut dr[..n]);
            }
        });
        dx
    }

    fn backward_tensor<T: Real>(&self, res: &Tensor, grad: &Tensor) -> candle_core::Result<Tensor> {
        let dx = with_slice::<T, _>(res, NAME, |y| with_slice::<T, _>(grad, NAME, |g| Ok(self.backward(y, g))))?;
        Tensor::from_vec(dx, res.shape(), res.device())
    }
}

impl CustomOp1 for Softmax {
    fn name(&self) -> &'static str {
        "incontext-softmax-last-dim"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let out = match storage {
            CpuStorage::F32(_) => CpuStorage::F32(self.forward::<f32>(contiguous_slice(storage, layout, NAME)?)),
            CpuStorage::F64(_) => CpuStorage::F64(self.forward::<f64>(contiguous_slice(storage, layout, NAME)?)),
            other => candle_core::bail!("{NAME}: unsupported dtype {:?}", other.dtype()),
        };
        Ok((out, layout.shape().clone()))
    }

    fn bwd(&self, _arg: &Tensor, res: &Tensor, grad: &Tensor) -> candle_core::Result<Option<Tensor>> {
        let dx = match res.dtype() {
            DType::F32 => self.backward_tensor::<f32>(res, grad)?,
            DType::F64 => self.backward_tensor::<f64>(res, grad)?,
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

    /// Softmax composed from candle ops, masking with an explicit −∞ matrix built from the
    /// documented rule (key j hidden from query i when j > i + s − t).
    fn composed(x: &Tensor, mask: AttentionMask) -> Tensor {
        let (t, s) = (x.dim(D::Minus2).unwrap(), x.dim(D::Minus1).unwrap());
        let bias: Vec<f32> = (0..t * s)
            .map(|k| {
                let (i, j) = (k / s, k % s);
                if mask == AttentionMask::Causal && j > i + s - t { f32::NEG_INFINITY } else { 0.0 }
            })
            .collect();
        let bias = Tensor::from_vec(bias, (t, s), &Device::Cpu).unwrap();
        let x = x.broadcast_add(&bias).unwrap();
        let e = x.broadcast_sub(&x.max_keepdim(D::Minus1).unwrap()).unwrap().exp().unwrap();
        e.broadcast_div(&e.sum_keepdim(D::Minus1).unwrap()).unwrap()
    }

    /// Forward equals the composed ops for no mask, the square causal mask and a causal block
    /// after cached keys, including a multi-threaded size; masked probabilities are exactly 0.
    #[test]
    fn forward_matches_composed_candle_ops() {
        let cases = [
            (vec![2usize, 3, 5, 5], AttentionMask::None),
            (vec![2, 3, 5, 5], AttentionMask::Causal),
            (vec![2, 2, 3, 7], AttentionMask::Causal),
            (vec![8, 4, 40, 40], AttentionMask::Causal),
        ];
        for (seed, (shape, mask)) in cases.into_iter().enumerate() {
            let x = (random(&shape, seed as u64, DType::F32) * 4.0).unwrap();
            let fused = softmax_last_dim(&x, mask).unwrap();
            let reference = composed(&x, mask);
            let diff = (&fused - &reference).unwrap().abs().unwrap().flatten_all().unwrap();
            assert!(diff.max(0).unwrap().to_scalar::<f32>().unwrap() < 1e-6, "{shape:?} {mask:?}");
            let (t, s) = (shape[2], shape[3]);
            let y = fused.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            for (k, &v) in y.iter().enumerate() {
                let (i, j) = ((k / s) % t, k % s);
                if mask == AttentionMask::Causal && j > i + s - t {
                    assert_eq!(v, 0.0);
                }
            }
        }
    }

    /// Gradients against central finite differences, causal block after two cached keys.
    #[test]
    fn backward_matches_finite_differences() {
        let x = random(&[2, 2, 3, 5], 21, DType::F64);
        check_gradients(&[x], 22, |v| softmax_last_dim(&v[0], AttentionMask::Causal));
        let x = random(&[3, 4], 23, DType::F64);
        check_gradients(&[x], 24, |v| softmax_last_dim(&v[0], AttentionMask::None));
    }

    /// More queries than keys under a causal mask, integer scores and rank 0 are errors.
    #[test]
    fn bad_inputs_are_errors() {
        let x = Tensor::zeros((1, 4, 3), DType::F32, &Device::Cpu).unwrap();
        assert!(softmax_last_dim(&x, AttentionMask::Causal).is_err());
        assert!(softmax_last_dim(&x, AttentionMask::None).is_ok());
        assert!(softmax_last_dim(&x.to_dtype(DType::U32).unwrap(), AttentionMask::None).is_err());
        assert!(softmax_last_dim(&Tensor::new(1f32, &Device::Cpu).unwrap(), AttentionMask::None).is_err());
        let row = Tensor::new(&[1f32, 2.0], &Device::Cpu).unwrap();
        assert!(softmax_last_dim(&row, AttentionMask::Causal).is_err());
    }
}
