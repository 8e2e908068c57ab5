//! Vectorisable building blocks: a branch-free f32 `exp` and multi-lane reductions.
//!
//! Float reductions written as one running sum do not vectorise (the compiler may not reorder
//! float additions); spreading them over `LANES` independent accumulators lets it use SIMD
//! registers, at the cost of a different (equally accurate) summation order.

use super::Real;

/// Independent accumulators per reduction (two SSE registers / one AVX register of f32).
const LANES: usize = 8;

/// e^x for f32 without a libm call, so that loops calling it vectorise.
///
/// Cody–Waite range reduction x = n·ln 2 + r with |r| ≤ ln 2 / 2, then the degree-7 polynomial of
/// Cephes' `expf` (S. L. Moshier, Cephes Math Library, 1984–2000), and 2ⁿ built from its exponent
/// bits. Relative error ≤ 2 ulp on [−87.3, 88.3]; inputs are clamped to that range (e^x
/// underflows to ~1e-38, not 0, below it); NaN propagates.
#[inline(always)]
pub(super) fn exp_f32(x: f32) -> f32 {
    const LO: f32 = -87.3;
    const HI: f32 = 88.3;
    // 1.5·2²³: adding it rounds to an integer that sits in the low mantissa bits.
    const SHIFT: f32 = 12_582_912.0;
    const LN2_HI: f32 = 0.693_359_4; // 0.693359375, exact in f32
    const LN2_LO: f32 = -2.121_944_4e-4;
    let x = x.clamp(LO, HI); // NaN stays NaN
    let t = x * std::f32::consts::LOG2_E + SHIFT;
    let n = t - SHIFT; // round(x / ln 2)
    let n_int = t.to_bits().wrapping_sub(SHIFT.to_bits()) as i32;
    let r = x - n * LN2_HI - n * LN2_LO;
    let mut p = 1.987_569_2e-4;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let e = p * r * r + r + 1.0;
    let pow2n = f32::from_bits(((n_int + 127) as u32) << 23);
    e * pow2n
}

/// Σᵢ f(i) over i < n, with `LANES` independent partial sums.
#[inline(always)]
fn lane_sum<T: Real>(n: usize, f: impl Fn(usize) -> T) -> T {
    let mut acc = [T::zero(); LANES];
    let full = n / LANES * LANES;
    let mut i = 0;
    while i < full {
        for (l, a) in acc.iter_mut().enumerate() {
            *a += f(i + l);
        }
        i += LANES;
    }
    let mut total = T::zero();
    for a in acc {
        total += a;
    }
    for j in full..n {
        total += f(j);
    }
    total
}

/// Σᵢ xᵢ.
#[inline(always)]
pub(super) fn sum<T: Real>(x: &[T]) -> T {
    lane_sum(x.len(), |i| x[i])
}

/// Σᵢ (xᵢ − c)².
#[inline(always)]
pub(super) fn sum_sq_dev<T: Real>(x: &[T], c: T) -> T {
    lane_sum(x.len(), |i| {
        let d = x[i] - c;
        d * d
    })
}

/// Σᵢ aᵢ·bᵢ (`b` at least as long as `a`).
#[inline(always)]
pub(super) fn dot<T: Real>(a: &[T], b: &[T]) -> T {
    let b = &b[..a.len()];
    lane_sum(a.len(), |i| a[i] * b[i])
}

/// maxᵢ xᵢ (−∞ for an empty slice; NaN entries are skipped, they propagate through later use).
#[inline(always)]
pub(super) fn max<T: Real>(x: &[T]) -> T {
    let neg_inf = T::from_f64(f64::NEG_INFINITY);
    let mut acc = [neg_inf; LANES];
    let mut chunks = x.chunks_exact(LANES);
    for c in &mut chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a = if v > *a { v } else { *a };
        }
    }
    let mut m = neg_inf;
    for v in acc.into_iter().chain(chunks.remainder().iter().copied()) {
        m = if v > m { v } else { m };
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The polynomial exp against f64's exp over the whole unclamped range and at the edges.
    #[test]
    fn exp_f32_within_two_ulp_of_f64_exp() {
        let mut worst = 0.0f64;
        let n = 200_000;
        for k in 0..=n {
            let x = -87.0 + 175.0 * k as f64 / n as f64;
            let xf = x as f32;
            let exact = (xf as f64).exp();
            let rel = ((exp_f32(xf) as f64 - exact) / exact).abs();
            worst = worst.max(rel);
        }
        // 2 ulp of f32 relative to the value: 2 · 2⁻²³ ≈ 2.4e-7.
        assert!(worst < 2.4e-7, "worst relative error {worst}");
        assert_eq!(exp_f32(0.0), 1.0);
        assert!(exp_f32(f32::NAN).is_nan());
        assert!(exp_f32(-1000.0) < 1.3e-38 && exp_f32(-1000.0) > 0.0);
        assert!(exp_f32(1000.0).is_finite() && exp_f32(1000.0) > 1e38);
    }

    /// The lane reductions against plain sequential f64 sums, for lengths around the lane count.
    #[test]
    fn reductions_match_sequential_sums() {
        for n in [0usize, 1, 7, 8, 9, 17, 128, 131] {
            let x: Vec<f64> = (0..n).map(|i| ((i * 37 % 11) as f64 - 5.0) * 0.3).collect();
            let y: Vec<f64> = (0..n).map(|i| ((i * 13 % 7) as f64 - 3.0) * 0.7).collect();
            let s: f64 = x.iter().sum();
            let ss: f64 = x.iter().map(|v| (v - 0.25) * (v - 0.25)).sum();
            let d: f64 = x.iter().zip(&y).map(|(a, b)| a * b).sum();
            let m = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            assert!((sum(&x) - s).abs() < 1e-12);
            assert!((sum_sq_dev(&x, 0.25) - ss).abs() < 1e-12);
            assert!((dot(&x, &y) - d).abs() < 1e-12);
            assert_eq!(max(&x), m);
        }
    }
}
