//! The affine layer y = x·Wᵀ + b, fused, with its backward pass for x, W and b.
//!
//! Composed from candle ops, a linear layer is a reshape, a matmul with a transposed weight, a
//! reshape back and a broadcast add; its backward then adds four full-size gradient tensors,
//! transposes, and reduces the bias gradient over all rows with candle's strided `sum`, which in
//! the training step cost more than the matmuls themselves. Here the forward is one GEMM into
//! rows pre-filled with b, and the backward two GEMMs on transposed views plus one pass for db.

use super::matmul::{MatRef, Threads, gemm};
use super::par::for_ranges;
use super::{Real, check_dtype, contiguous_slice, with_slice};
use candle_core::backend::BackendStorage;
use candle_core::{CpuStorage, CustomOp3, DType, Layout, Shape, Tensor};

const NAME: &str = "linear";

/// Affine map over the last dim, y = x·Wᵀ + b (torch's `nn.Linear`, candle-nn's `Linear`).
///
/// Shapes: `x` [.., in], `w` [out, in], `b` [out] → [.., out]; all f32 (fast path) or all f64,
/// on the CPU. Backward gives dx = g·W, dW = gᵀ·x and db = Σ_rows g. Non-contiguous inputs are
/// copied first.
///
/// # Errors
/// If `x` has rank 0, `in` or `out` is 0, `w` is not [out, in] for x's last dim `in`, `b` is not [out], the dtypes
/// differ or are not f32/f64, or a tensor is not on the CPU.
pub fn linear(x: &Tensor, w: &Tensor, b: &Tensor) -> candle_core::Result<Tensor> {
    let input = x.dim(candle_core::D::Minus1)?;
    let (out, w_in) = w.dims2()?;
    if w_in != input || b.dims() != [out] || input == 0 || out == 0 {
        candle_core::bail!("{NAME}: weight {:?} and bias {:?} do not fit x {:?}", w.dims(), b.dims(), x.dims());
    }
    if w.dtype() != x.dtype() || b.dtype() != x.dtype() {
        candle_core::bail!("{NAME}: dtypes differ (x {:?}, w {:?}, b {:?})", x.dtype(), w.dtype(), b.dtype());
    }
    check_dtype(x.dtype(), NAME)?;
    x.contiguous()?.apply_op3(&w.contiguous()?, &b.contiguous()?, Linear)
}

/// The custom op (stateless).
struct Linear;

/// y [rows, out] = x [rows, in] · Wᵀ + b (in, out > 0).
fn forward<T: Real>(x: &[T], w: &[T], b: &[T]) -> Vec<T> {
    let out = b.len();
    let input = w.len() / out;
    let rows = x.len() / input;
    let mut y = Vec::with_capacity(rows * out);
    for _ in 0..rows {
        y.extend_from_slice(b);
    }
    gemm(&mut y, out, MatRef::rows(x, rows, input, input), MatRef::rows(w, out, input, input).t(), T::one(), true, Threads::All);
    y
}

/// (dx [rows, in], dW [out, in], db [out]) for upstream gradient g [rows, out] (in, out > 0).
fn backward<T: Real>(x: &[T], w: &[T], g: &[T], out: usize) -> (Vec<T>, Vec<T>, Vec<T>) {
    let input = w.len() / out;
    let rows = g.len() / out;
    let g_mat = MatRef::rows(g, rows, out, out);
    let mut dx = vec![T::zero(); rows * input];
    gemm(&mut dx, input, g_mat, MatRef::rows(w, out, input, input), T::one(), false, Threads::All);
    let mut dw = vec![T::zero(); out * input];
    gemm(&mut dw, input, g_mat.t(), MatRef::rows(x, rows, input, input), T::one(), false, Threads::All);
    // db: column sums of g, as per-block partial sums over row blocks.
    let partials = for_ranges(rows, out, #[inline(always)] |range| {
        let mut db = vec![T::zero(); out];
        for gr in g[range.start * out..range.end * out].chunks_exact(out) {
            db.iter_mut().zip(gr).for_each(|(d, &g)| *d += g);
        }
        db
    });
    let mut db = vec![T::zero(); out];
    for p in partials {
        db.iter_mut().zip(p).for_each(|(d, p)| *d += p);
    }
    (dx, dw, db)
}

type Grads3 = (Option<Tensor>, Option<Tensor>, Option<Tensor>);

fn backward_tensors<T: Real>(x: &Tensor, w: &Tensor, grad: &Tensor) -> candle_core::Result<Grads3> {
    let out = w.dim(0)?;
    let (dx, dw, db) = with_slice::<T, _>(x, NAME, |xs| {
        with_slice::<T, _>(w, NAME, |ws| with_slice::<T, _>(grad, NAME, |g| Ok(backward(xs, ws, g, out))))
    })?;
    let dev = x.device();
    Ok((
        Some(Tensor::from_vec(dx, x.shape(), dev)?),
        Some(Tensor::from_vec(dw, w.shape(), dev)?),
        Some(Tensor::from_vec(db, out, dev)?),
    ))
}

impl CustomOp3 for Linear {
    fn name(&self) -> &'static str {
        "incontext-linear"
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
                contiguous_slice(s1, l1, NAME)?,
                contiguous_slice(s2, l2, NAME)?,
                contiguous_slice(s3, l3, NAME)?,
            )),
            CpuStorage::F64(_) => CpuStorage::F64(forward::<f64>(
                contiguous_slice(s1, l1, NAME)?,
                contiguous_slice(s2, l2, NAME)?,
                contiguous_slice(s3, l3, NAME)?,
            )),
            other => candle_core::bail!("{NAME}: unsupported dtype {:?}", other.dtype()),
        };
        let mut dims = l1.dims().to_vec();
        *dims.last_mut().expect("rank ≥ 1 checked by linear()") = l2.dims()[0];
        Ok((storage, Shape::from(dims)))
    }

    fn bwd(&self, x: &Tensor, w: &Tensor, _b: &Tensor, _res: &Tensor, grad: &Tensor) -> candle_core::Result<Grads3> {
        match x.dtype() {
            DType::F32 => backward_tensors::<f32>(x, w, grad),
            DType::F64 => backward_tensors::<f64>(x, w, grad),
            other => candle_core::bail!("{NAME}: unsupported dtype {other:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_util::{check_gradients, random};
    use candle_core::Device;

    /// Forward equals candle-nn's `Linear` (reshape, matmul, broadcast add), for 3-D input and
    /// for a strided input, at a size that uses several threads.
    #[test]
    fn forward_matches_candle_nn_linear() {
        use candle_core::Module;
        let x = random(&[4, 300, 64], 41, DType::F32);
        let w = random(&[48, 64], 42, DType::F32);
        let b = random(&[48], 43, DType::F32);
        let reference = candle_nn::Linear::new(w.clone(), Some(b.clone()));
        for x in [x.clone(), x.transpose(0, 1).unwrap()] {
            let fused = linear(&x, &w, &b).unwrap();
            let expect = reference.forward(&x).unwrap();
            assert_eq!(fused.dims(), expect.dims());
            let diff = (&fused - &expect).unwrap().abs().unwrap().flatten_all().unwrap().max(0).unwrap();
            assert!(diff.to_scalar::<f32>().unwrap() < 1e-4);
        }
    }

    /// Gradients of x, W and b against central finite differences.
    #[test]
    fn backward_matches_finite_differences() {
        let x = random(&[2, 3, 4], 44, DType::F64);
        let w = random(&[5, 4], 45, DType::F64);
        let b = random(&[5], 46, DType::F64);
        check_gradients(&[x, w, b], 47, |v| linear(&v[0], &v[1], &v[2]));
    }

    /// Mismatched shapes and dtypes are errors.
    #[test]
    fn bad_inputs_are_errors() {
        let x = Tensor::zeros((2, 4), DType::F32, &Device::Cpu).unwrap();
        let w = Tensor::zeros((3, 4), DType::F32, &Device::Cpu).unwrap();
        let b = Tensor::zeros(3, DType::F32, &Device::Cpu).unwrap();
        assert!(linear(&x, &w, &b).is_ok());
        assert!(linear(&x, &w.t().unwrap(), &b).is_err());
        assert!(linear(&x, &w, &Tensor::zeros(4, DType::F32, &Device::Cpu).unwrap()).is_err());
        assert!(linear(&x, &w, &b.to_dtype(DType::F64).unwrap()).is_err());
        assert!(linear(&Tensor::new(1f32, &Device::Cpu).unwrap(), &w, &b).is_err());
    }
}
