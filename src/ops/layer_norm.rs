//! LayerNorm over the last dimension (Ba, Kiros & Hinton 2016, "Layer Normalization"), fused,
//! with its backward pass for x, γ and β.

use super::math::{dot, sum, sum_sq_dev};
use super::par::for_row_blocks;
use super::{Real, check_dtype, contiguous_slice, with_slice};
use candle_core::backend::BackendStorage;
use candle_core::{CpuStorage, CustomOp3, DType, Layout, Shape, Tensor};

const NAME: &str = "layer_norm";

/// LayerNorm over the last dim: y = (x − μ)/√(σ² + ε)·γ + β, with μ and σ² (biased) the mean and
/// variance of each row (Ba et al. 2016, eq. 4; GPT-2's `ln_1`/`ln_2`/`ln_f`).
///
/// Shapes: `x` [.., C], `gamma` [C], `beta` [C] → [.., C], all f32 (fast path) or all f64, on the
/// CPU. Backward gives the gradients of all three inputs. Non-contiguous inputs are copied
/// first.
///
/// # Errors
/// If `x` has rank 0 or C = 0, if `gamma`/`beta` are not [C], if the dtypes differ or are not
/// f32/f64, if `eps` is negative or not finite, or if a tensor is not on the CPU.
pub fn layer_norm(x: &Tensor, gamma: &Tensor, beta: &Tensor, eps: f64) -> candle_core::Result<Tensor> {
    let c = x.dim(candle_core::D::Minus1)?;
    if c == 0 {
        candle_core::bail!("{NAME}: the normalised dimension is empty");
    }
    if gamma.dims() != [c] || beta.dims() != [c] {
        candle_core::bail!(
            "{NAME}: gamma {:?} and beta {:?} must both be [{c}] to match x {:?}",
            gamma.dims(),
            beta.dims(),
            x.dims()
        );
    }
    if gamma.dtype() != x.dtype() || beta.dtype() != x.dtype() {
        candle_core::bail!(
            "{NAME}: dtypes differ (x {:?}, gamma {:?}, beta {:?})",
            x.dtype(),
            gamma.dtype(),
            beta.dtype()
        );
    }
    check_dtype(x.dtype(), NAME)?;
    if !(eps.is_finite() && eps >= 0.0) {
        candle_core::bail!("{NAME}: eps must be finite and non-negative, got {eps}");
    }
    x.contiguous()?.apply_op3(&gamma.contiguous()?, &beta.contiguous()?, LayerNorm { eps })
}

/// The custom op; ε is the only state (mean and 1/σ are recomputed in backward: one cheap pass,
/// no saved tensors).
struct LayerNorm {
    eps: f64,
}

/// Mean and 1/√(σ² + ε) of one row.
#[inline(always)]
fn moments<T: Real>(x: &[T], eps: T) -> (T, T) {
    let c = T::from_f64(x.len() as f64);
    let mean = sum(x) / c;
    let var = sum_sq_dev(x, mean) / c;
    (mean, T::one() / (var + eps).sqrt())
}

fn forward<T: Real>(eps: f64, x: &[T], gamma: &[T], beta: &[T]) -> Vec<T> {
    let c = gamma.len();
    let eps = T::from_f64(eps);
    let mut y = vec![T::zero(); x.len()];
    for_row_blocks(&mut y, c, x.len(), #[inline(always)] |first, block| {
        let x = &x[first * c..];
        for (yr, xr) in block.chunks_exact_mut(c).zip(x.chunks_exact(c)) {
            let (mean, rstd) = moments(xr, eps);
            for (((y, &x), &g), &b) in yr.iter_mut().zip(xr).zip(gamma).zip(beta) {
                *y = (x - mean) * rstd * g + b;
            }
        }
    });
    y
}

/// Gradients (dx, dγ, dβ) for upstream gradient `g` [rows, C]:
/// x̂ = (x − μ)·r, dβ = Σ_rows g, dγ = Σ_rows g·x̂, and with h = g·γ,
/// dx = r·(h − mean(h) − x̂·mean(h·x̂)).
fn backward<T: Real>(eps: f64, x: &[T], gamma: &[T], g: &[T]) -> (Vec<T>, Vec<T>, Vec<T>) {
    let c = gamma.len();
    let cf = T::from_f64(c as f64);
    let eps = T::from_f64(eps);
    let mut dx = vec![T::zero(); x.len()];
    let partials = for_row_blocks(&mut dx, c, 2 * x.len(), #[inline(always)] |first, block| {
        let mut dgamma = vec![T::zero(); c];
        let mut dbeta = vec![T::zero(); c];
        let mut xhat = vec![T::zero(); c];
        let mut h = vec![T::zero(); c];
        let x = &x[first * c..];
        let g = &g[first * c..];
        for ((dxr, xr), gr) in block.chunks_exact_mut(c).zip(x.chunks_exact(c)).zip(g.chunks_exact(c)) {
            let (mean, rstd) = moments(xr, eps);
            for (((((xh, h), dg), db), &x), (&g, &gm)) in xhat
                .iter_mut()
                .zip(h.iter_mut())
                .zip(dgamma.iter_mut())
                .zip(dbeta.iter_mut())
                .zip(xr)
                .zip(gr.iter().zip(gamma))
            {
                *xh = (x - mean) * rstd;
                *h = g * gm;
                *dg += g * *xh;
                *db += g;
            }
            let mean_h = sum(&h) / cf;
            let mean_hx = dot(&h, &xhat) / cf;
            for ((dx, &h), &xh) in dxr.iter_mut().zip(&h).zip(&xhat) {
                *dx = rstd * (h - mean_h - xh * mean_hx);
            }
        }
        (dgamma, dbeta)
    });
    let mut dgamma = vec![T::zero(); c];
    let mut dbeta = vec![T::zero(); c];
    for (pg, pb) in partials {
        dgamma.iter_mut().zip(pg).for_each(|(a, b)| *a += b);
        dbeta.iter_mut().zip(pb).for_each(|(a, b)| *a += b);
    }
    (dx, dgamma, dbeta)
}

type Grads3 = (Option<Tensor>, Option<Tensor>, Option<Tensor>);

fn backward_tensors<T: Real>(eps: f64, x: &Tensor, gamma: &Tensor, grad: &Tensor) -> candle_core::Result<Grads3> {
    let (dx, dgamma, dbeta) = with_slice::<T, _>(x, NAME, |xs| {
        with_slice::<T, _>(gamma, NAME, |gs| with_slice::<T, _>(grad, NAME, |g| Ok(backward(eps, xs, gs, g))))
    })?;
    let dev = x.device();
    Ok((
        Some(Tensor::from_vec(dx, x.shape(), dev)?),
        Some(Tensor::from_vec(dgamma, gamma.shape(), dev)?),
        Some(Tensor::from_vec(dbeta, gamma.shape(), dev)?),
    ))
}

impl CustomOp3 for LayerNorm {
    fn name(&self) -> &'static str {
        "incontext-layer-norm"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let storage = match s1 {
            CpuStorage::F32(_) => CpuStorage::F32(forward::<f32>(
                self.eps,
                contiguous_slice(s1, l1, NAME)?,
                contiguous_slice(s2, l2, NAME)?,
                contiguous_slice(s3, l3, NAME)?,
            )),
            CpuStorage::F64(_) => CpuStorage::F64(forward::<f64>(
                self.eps,
                contiguous_slice(s1, l1, NAME)?,
                contiguous_slice(s2, l2, NAME)?,
                contiguous_slice(s3, l3, NAME)?,
            )),
            other => candle_core::bail!("{NAME}: unsupported dtype {:?}", other.dtype()),
        };
        Ok((storage, l1.shape().clone()))
    }

    fn bwd(&self, x: &Tensor, gamma: &Tensor, _beta: &Tensor, _res: &Tensor, grad: &Tensor) -> candle_core::Result<Grads3> {
        match x.dtype() {
            DType::F32 => backward_tensors::<f32>(self.eps, x, gamma, grad),
            DType::F64 => backward_tensors::<f64>(self.eps, x, gamma, grad),
            other => candle_core::bail!("{NAME}: unsupported dtype {other:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_util::{check_gradients, random};
    use candle_core::{D, Device};

    /// LayerNorm composed from elementary candle ops (biased variance), the reference.
    fn composed(x: &Tensor, gamma: &Tensor, beta: &Tensor, eps: f64) -> candle_core::Result<Tensor> {
        let centred = x.broadcast_sub(&x.mean_keepdim(D::Minus1)?)?;
        let var = centred.sqr()?.mean_keepdim(D::Minus1)?;
        centred.broadcast_div(&(var + eps)?.sqrt()?)?.broadcast_mul(gamma)?.broadcast_add(beta)
    }

    fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
        (a - b).unwrap().abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap()
    }

    /// Forward equals the composed ops on a small and on a multi-threaded size, f32.
    #[test]
    fn forward_matches_composed_candle_ops() {
        for (shape, seed) in [(vec![2usize, 3, 7], 1u64), (vec![640, 128], 2)] {
            let c = shape[shape.len() - 1];
            let x = random(&shape, seed, DType::F32).affine(3.0, 0.5).unwrap();
            let gamma = random(&[c], seed + 10, DType::F32);
            let beta = random(&[c], seed + 20, DType::F32);
            let fused = layer_norm(&x, &gamma, &beta, 1e-5).unwrap();
            let reference = composed(&x, &gamma, &beta, 1e-5).unwrap();
            assert_eq!(fused.dims(), x.dims());
            assert!(max_abs_diff(&fused, &reference) < 1e-5, "shape {shape:?}");
        }
    }

    /// A transposed (strided) input gives the same result as its contiguous copy.
    #[test]
    fn strided_input_equals_contiguous_copy() {
        let x = random(&[6, 5], 3, DType::F32).t().unwrap(); // [5, 6], strided
        let gamma = random(&[6], 4, DType::F32);
        let beta = random(&[6], 5, DType::F32);
        let a = layer_norm(&x, &gamma, &beta, 1e-5).unwrap();
        let b = layer_norm(&x.contiguous().unwrap(), &gamma, &beta, 1e-5).unwrap();
        assert_eq!(max_abs_diff(&a, &b), 0.0);
    }

    /// Gradients of x, γ and β against central finite differences.
    #[test]
    fn backward_matches_finite_differences() {
        let x = random(&[2, 3, 6], 7, DType::F64);
        let gamma = (random(&[6], 8, DType::F64) + 1.0).unwrap();
        let beta = random(&[6], 9, DType::F64);
        check_gradients(&[x, gamma, beta], 11, |v| layer_norm(&v[0], &v[1], &v[2], 1e-5));
    }

    /// Shape, dtype and ε violations are errors, not panics.
    #[test]
    fn bad_inputs_are_errors() {
        let x = Tensor::zeros((4, 3), DType::F32, &Device::Cpu).unwrap();
        let ok = Tensor::ones(3, DType::F32, &Device::Cpu).unwrap();
        let short = Tensor::ones(2, DType::F32, &Device::Cpu).unwrap();
        assert!(layer_norm(&x, &short, &ok, 1e-5).is_err());
        assert!(layer_norm(&x, &ok, &ok.to_dtype(DType::F64).unwrap(), 1e-5).is_err());
        let (xu, oku) = (x.to_dtype(DType::U32).unwrap(), ok.to_dtype(DType::U32).unwrap());
        assert!(layer_norm(&xu, &oku, &oku, 1e-5).is_err());
        assert!(layer_norm(&x, &ok, &ok, f64::NAN).is_err());
        assert!(layer_norm(&Tensor::zeros((4, 0), DType::F32, &Device::Cpu).unwrap(), &ok, &ok, 1e-5).is_err());
        // A constant row normalises to β exactly.
        let y = layer_norm(&x, &ok, &(&ok * 2.0).unwrap(), 1e-5).unwrap();
        assert!(y.flatten_all().unwrap().to_vec1::<f32>().unwrap().iter().all(|&v| v == 2.0));
    }
}
