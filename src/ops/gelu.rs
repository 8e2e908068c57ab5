//! GELU with the tanh approximation (Hendrycks & Gimpel 2016, "Gaussian Error Linear Units",
//! eq. for the fast approximation; used by GPT-2), fused, with its backward pass.

use super::par::for_row_blocks;
use super::{Real, check_dtype, contiguous_slice, with_slice};
use candle_core::backend::BackendStorage;
use candle_core::{CpuStorage, CustomOp1, DType, Layout, Shape, Tensor};

const NAME: &str = "gelu";

/// √(2/π).
const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;
/// The cubic coefficient of the tanh approximation.
const CUBIC: f64 = 0.044_715;

/// GELU, tanh approximation (GPT-2): y = ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), elementwise.
///
/// Computed as the identical y = x·σ(z), z = 2√(2/π)·(x + 0.044715·x³), σ the logistic
/// function, which needs one vectorisable `exp` and no `tanh`. Backward:
/// dy/dx = σ(z) + x·σ(z)·(1 − σ(z))·2√(2/π)·(1 + 3·0.044715·x²).
///
/// Shapes: any → same, f32 (fast path) or f64, on the CPU. Non-contiguous inputs are copied
/// first.
///
/// # Errors
/// If the dtype is not f32/f64 or `x` is not on the CPU.
pub fn gelu(x: &Tensor) -> candle_core::Result<Tensor> {
    check_dtype(x.dtype(), NAME)?;
    x.contiguous()?.apply_op1(Gelu)
}

/// The custom op (stateless).
struct Gelu;

/// Elements per work unit handed to a thread (the kernel is elementwise).
const BLOCK: usize = 1024;

/// For one x: (σ(z), dz/dx) with z = 2√(2/π)·(x + 0.044715·x³).
#[inline(always)]
fn sigmoid_z<T: Real>(x: T) -> (T, T) {
    let k = T::from_f64(2.0 * SQRT_2_OVER_PI);
    let a = T::from_f64(CUBIC);
    let x2 = x * x;
    let z = k * x * (T::one() + a * x2);
    let sig = T::one() / (T::one() + (-z).exp());
    (sig, k * (T::one() + T::from_f64(3.0) * a * x2))
}

/// `out[i] = kernel(x[i], extra[i])` over blocks of [`BLOCK`] elements, threaded when large.
fn map2<T: Real>(x: &[T], extra: &[T], kernel: impl Fn(T, T) -> T + Sync) -> Vec<T> {
    let mut out = vec![T::zero(); x.len()];
    for_row_blocks(&mut out, BLOCK, x.len(), #[inline(always)] |first, block| {
        let start = first * BLOCK;
        let (x, extra) = (&x[start..start + block.len()], &extra[start..start + block.len()]);
        for ((o, &x), &e) in block.iter_mut().zip(x).zip(extra) {
            *o = kernel(x, e);
        }
    });
    out
}

fn forward<T: Real>(x: &[T]) -> Vec<T> {
    map2(x, x, #[inline(always)] |x, _| x * sigmoid_z(x).0)
}

fn backward<T: Real>(x: &[T], g: &[T]) -> Vec<T> {
    map2(x, g, #[inline(always)] |x, g| {
        let (sig, dz) = sigmoid_z(x);
        g * (sig + x * sig * (T::one() - sig) * dz)
    })
}

fn backward_tensor<T: Real>(x: &Tensor, grad: &Tensor) -> candle_core::Result<Tensor> {
    let dx = with_slice::<T, _>(x, NAME, |xs| with_slice::<T, _>(grad, NAME, |g| Ok(backward(xs, g))))?;
    Tensor::from_vec(dx, x.shape(), x.device())
}

impl CustomOp1 for Gelu {
    fn name(&self) -> &'static str {
        "incontext-gelu-tanh"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let out = match storage {
            CpuStorage::F32(_) => CpuStorage::F32(forward::<f32>(contiguous_slice(storage, layout, NAME)?)),
            CpuStorage::F64(_) => CpuStorage::F64(forward::<f64>(contiguous_slice(storage, layout, NAME)?)),
            other => candle_core::bail!("{NAME}: unsupported dtype {:?}", other.dtype()),
        };
        Ok((out, layout.shape().clone()))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad: &Tensor) -> candle_core::Result<Option<Tensor>> {
        let dx = match arg.dtype() {
            DType::F32 => backward_tensor::<f32>(arg, grad)?,
            DType::F64 => backward_tensor::<f64>(arg, grad)?,
            other => candle_core::bail!("{NAME}: unsupported dtype {other:?}"),
        };
        Ok(Some(dx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_util::{check_gradients, random};
    use candle_core::Device;

    /// Forward equals candle's own tanh-GELU (f32) and the tanh formula evaluated in f64, over a
    /// range that includes the saturated tails and a multi-threaded size.
    #[test]
    fn forward_matches_tanh_formula_and_candle() {
        let n = 70_001;
        let xs: Vec<f32> = (0..n).map(|i| -12.0 + 24.0 * i as f32 / (n - 1) as f32).collect();
        let x = Tensor::from_vec(xs.clone(), n, &Device::Cpu).unwrap();
        let fused = gelu(&x).unwrap().to_vec1::<f32>().unwrap();
        let candle = x.gelu().unwrap().to_vec1::<f32>().unwrap();
        for ((&x, &f), &c) in xs.iter().zip(&fused).zip(&candle) {
            let x64 = x as f64;
            let exact = 0.5 * x64 * (1.0 + (SQRT_2_OVER_PI * (x64 + CUBIC * x64.powi(3))).tanh());
            assert!((f as f64 - exact).abs() <= 1e-6 * (1.0 + exact.abs()), "x = {x}: {f} vs {exact}");
            assert!((f - c).abs() <= 1e-5 * (1.0 + c.abs()), "x = {x}: {f} vs candle {c}");
        }
    }

    /// Gradients against central finite differences (f64), and the strided path.
    #[test]
    fn backward_matches_finite_differences() {
        let x = (random(&[3, 7], 31, DType::F64) * 2.5).unwrap();
        check_gradients(&[x.t().unwrap()], 32, |v| gelu(&v[0]));
    }

    /// Integer input is an error.
    #[test]
    fn integer_input_is_an_error() {
        let x = Tensor::new(&[1u32, 2], &Device::Cpu).unwrap();
        assert!(gelu(&x).is_err());
    }
}
