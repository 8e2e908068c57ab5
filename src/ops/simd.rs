//! Running the kernels with the widest vector instructions the CPU has.
//!
//! The crate is compiled for the baseline of its target (SSE2 on x86-64, SIMD128 where the wasm
//! build enables it), so the compiler vectorises the kernels' loops 4 lanes wide. On x86-64,
//! [`vectorized`] checks the CPU once and runs the work through a copy of the calling code
//! compiled with AVX-512 (16 lanes) or AVX2 (8 lanes). Floating-point results are identical on
//! every path: no instruction changes rounding (in particular no fused multiply–add is formed,
//! as Rust never contracts `a * b + c`).

/// Runs `f` compiled for AVX-512 or AVX2 when the CPU has them (x86-64), else as compiled.
///
/// `f` and what it calls must be inlined into the wrapper for this to matter: pass a closure
/// that only calls `#[inline]` kernels, and mark the closure `#[inline(always)]`.
#[inline(always)]
pub(super) fn vectorized<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512dq")
            && std::arch::is_x86_feature_detected!("avx512vl")
        {
            // SAFETY: the CPU supports every feature `avx512` is compiled with (checked above).
            return unsafe { avx512(f) };
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports AVX2 and FMA (checked above).
            return unsafe { avx2(f) };
        }
    }
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
fn avx512<R>(f: impl FnOnce() -> R) -> R {
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}
