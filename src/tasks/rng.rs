//! Seeded, platform-independent randomness.
//!
//! ChaCha8 is specified bit-for-bit, and the Gaussian sampler uses `libm` (pure Rust) rather than
//! the platform's maths library, so the same seed gives the same prompts natively and in wasm.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// A reproducible random stream: ChaCha8 keyed by a `u64` seed.
#[derive(Clone, Debug)]
pub struct SeededRng {
    inner: ChaCha8Rng,
    seed: u64,
}

/// The complete state of a [`SeededRng`], for checkpoints: restoring it continues the stream
/// exactly where it stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RngState {
    /// The seed the stream was created with.
    pub seed: u64,
    /// Position in the ChaCha keystream, in 32-bit words.
    pub word_pos: u128,
}

impl SeededRng {
    /// A stream keyed by `seed`.
    pub fn new(seed: u64) -> Self {
        Self { inner: ChaCha8Rng::seed_from_u64(seed), seed }
    }

    /// An independent stream derived from this one's seed and a label (e.g. a step number or
    /// a prompt index), without advancing this stream.
    pub fn derive(&self, label: u64) -> Self {
        // SplitMix64 finaliser mixes the pair into a well-spread seed.
        let mut z = self.seed ^ label.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(0xD1B5_4A32_D192_ED03);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Self::new(z ^ (z >> 31))
    }

    /// The state to store in a checkpoint.
    pub fn state(&self) -> RngState {
        RngState { seed: self.seed, word_pos: self.inner.get_word_pos() }
    }

    /// Restores a stream from [`SeededRng::state`].
    pub fn from_state(state: RngState) -> Self {
        let mut rng = Self::new(state.seed);
        rng.inner.set_word_pos(state.word_pos);
        rng
    }

    /// A raw 64-bit draw.
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// Uniform on `[0, 1)` with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform on `[lo, hi)` (returns `lo` when `lo == hi`).
    pub fn uniform_in(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }

    /// A standard normal draw (Box–Muller, one value per pair of uniforms).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform(); // (0, 1]
        let u2 = self.uniform();
        libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(std::f64::consts::TAU * u2)
    }

    /// Fills `out` with standard normal draws.
    pub fn fill_normal(&mut self, out: &mut [f64]) {
        out.iter_mut().for_each(|v| *v = self.normal());
    }

    /// Uniform index in `0..n` (Lemire's multiply-shift; `n` must be positive).
    pub fn index(&mut self, n: usize) -> usize {
        debug_assert!(n > 0);
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// `k` distinct indices from `0..n`, in increasing order (partial Fisher–Yates).
    pub fn choose_distinct(&mut self, n: usize, k: usize) -> Vec<usize> {
        let mut pool: Vec<usize> = (0..n).collect();
        for i in 0..k.min(n) {
            let j = i + self.index(n - i);
            pool.swap(i, j);
        }
        let mut chosen = pool[..k.min(n)].to_vec();
        chosen.sort_unstable();
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_moments() {
        let mut rng = SeededRng::new(7);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.01, "var {var}");
    }

    #[test]
    fn state_roundtrip_continues_stream() {
        let mut a = SeededRng::new(3);
        for _ in 0..17 {
            a.normal();
        }
        let mut b = SeededRng::from_state(a.state());
        for _ in 0..10 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
    }

    #[test]
    fn choose_distinct_is_sorted_and_distinct() {
        let mut rng = SeededRng::new(1);
        for _ in 0..100 {
            let c = rng.choose_distinct(5, 2);
            assert_eq!(c.len(), 2);
            assert!(c[0] < c[1] && c[1] < 5);
        }
    }
}
