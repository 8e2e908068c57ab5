//! Fused CPU ops with hand-written backward passes: LayerNorm, (causal) softmax over attention
//! scores, tanh-GELU, the affine layer, and multi-head self-attention (causal or context-and-self) on a
//! packed q|k|v projection.
//!
//! candle's own fast LayerNorm and `softmax_last_dim` have no backward (gradients silently stop,
//! docs/DESIGN.md, "CPU ops with backward"), and its composed versions allocate one tensor per
//! elementary op, each of which autograd then pays for again (a zero tensor plus an add per
//! gradient edge). Each op here is a candle custom op (`CustomOp1`/`CustomOp3`): the forward is
//! one pass over contiguous rows (or GEMMs on strided views, through the `gemm` crate candle
//! itself uses), the backward one more, both written as plain loops over slices that the compiler
//! vectorises (multi-lane reductions, a branch-free polynomial `exp`). Natively, large inputs are
//! split into row blocks over `RAYON_NUM_THREADS` (default: all cores) scoped threads; on wasm32
//! everything runs on the calling thread.
//!
//! Supported: f32 (the fast path) and f64 (used by the finite-difference tests) tensors on the CPU
//! device. Non-contiguous inputs are made contiguous first. Other dtypes and devices return an
//! error.

mod attention;
mod gelu;
mod layer_norm;
mod linear;
mod math;
mod matmul;
mod par;
mod simd;
mod softmax;

pub use attention::{AttentionPattern, self_attention};
pub use gelu::gelu;
pub use layer_norm::layer_norm;
pub use linear::linear;
pub use softmax::{AttentionMask, softmax_last_dim};

use candle_core::{CpuStorage, DType, Layout, Storage, Tensor, WithDType};

/// The float types the kernels are written for (f32: the fast path; f64: reference precision).
trait Real: WithDType + std::ops::Neg<Output = Self> {
    /// e^x; for f32 a vectorisable polynomial with ≤ 2 ulp error (see `math::exp_f32`).
    fn exp(self) -> Self;
    fn sqrt(self) -> Self;
}

impl Real for f32 {
    #[inline(always)]
    fn exp(self) -> Self {
        math::exp_f32(self)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
}

impl Real for f64 {
    #[inline(always)]
    fn exp(self) -> Self {
        f64::exp(self)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
}

/// The contiguous elements of a CPU storage seen through `layout`.
///
/// # Errors
/// If the layout is not contiguous (the public wrappers make inputs contiguous first) or the
/// storage holds another dtype than `T`.
fn contiguous_slice<'a, T: WithDType>(storage: &'a CpuStorage, layout: &Layout, op: &str) -> candle_core::Result<&'a [T]> {
    let data = T::cpu_storage_as_slice(storage)?;
    match layout.contiguous_offsets() {
        Some((start, end)) => Ok(&data[start..end]),
        None => candle_core::bail!("{op}: input must be contiguous"),
    }
}

/// Runs `f` on the contiguous elements of a CPU tensor (copying it first if it is strided).
///
/// # Errors
/// If the tensor is not on the CPU or is not of dtype `T`.
fn with_slice<T: WithDType, R>(t: &Tensor, op: &str, f: impl FnOnce(&[T]) -> candle_core::Result<R>) -> candle_core::Result<R> {
    let t = t.contiguous()?;
    let (storage, layout) = t.storage_and_layout();
    match &*storage {
        Storage::Cpu(cpu) => f(contiguous_slice::<T>(cpu, layout, op)?),
        _ => candle_core::bail!("{op}: only the CPU device is supported"),
    }
}

/// Checks that the op's dtype is one the kernels support.
fn check_dtype(dtype: DType, op: &str) -> candle_core::Result<()> {
    match dtype {
        DType::F32 | DType::F64 => Ok(()),
        other => candle_core::bail!("{op}: unsupported dtype {other:?} (f32 or f64 expected)"),
    }
}

#[cfg(test)]
mod test_util;
