//! AdamW, its learning-rate schedule, and clipping by global gradient norm.
//!
//! Our own AdamW rather than candle-nn's because checkpoints need the moments (candle-nn keeps
//! them private). Parameters, gradients and moments are flat `f32` slices, one per model
//! tensor, in a fixed (name-sorted) order.

use super::config::OptimizerConfig;
use crate::error::{Error, Result, invalid};

/// The learning rate of update `s` (0-based) of a `total`-step run: linear warm-up
/// `lr · (s + 1) / warmup_steps` for `s < warmup_steps`, then cosine decay from `lr` to `min_lr`
/// over the remaining steps (Loshchilov & Hutter, "SGDR", ICLR 2017, without restarts),
/// `min_lr + (lr − min_lr) · (1 + cos(π p)) / 2` with `p = (s − warmup) / (total − warmup)`.
pub fn learning_rate(cfg: &OptimizerConfig, total: u64, s: u64) -> f64 {
    if s < cfg.warmup_steps {
        return cfg.lr * (s + 1) as f64 / cfg.warmup_steps as f64;
    }
    let decay_steps = total.saturating_sub(cfg.warmup_steps).max(1);
    let p = ((s - cfg.warmup_steps) as f64 / decay_steps as f64).min(1.0);
    cfg.min_lr + (cfg.lr - cfg.min_lr) * 0.5 * (1.0 + (std::f64::consts::PI * p).cos())
}

/// Scales `grads` in place so that their global L2 norm is at most `max_norm` (as PyTorch's
/// `clip_grad_norm_`: factor `max_norm / (norm + 1e-6)` when that is below 1). Returns the norm
/// before clipping (accumulated in f64).
pub fn clip_global_norm(grads: &mut [Vec<f32>], max_norm: Option<f64>) -> f64 {
    let norm = grads
        .iter()
        .flatten()
        .map(|&g| f64::from(g) * f64::from(g))
        .sum::<f64>()
        .sqrt();
    if let Some(max) = max_norm {
        let factor = max / (norm + 1e-6);
        if factor < 1.0 {
            let factor = factor as f32;
            grads.iter_mut().flatten().for_each(|g| *g *= factor);
        }
    }
    norm
}

/// AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019), in
/// PyTorch's formulation: `p ← p·(1 − lr·λ)`, `m ← β1 m + (1 − β1) g`,
/// `v ← β2 v + (1 − β2) g²`, `p ← p − lr/(1 − β1^t) · m / (sqrt(v)/sqrt(1 − β2^t) + ε)`.
///
/// An update is all-or-nothing: the new moments are written to spare buffers and only swapped
/// in once every updated parameter is known to be finite.
#[derive(Clone, Debug)]
pub struct AdamW {
    /// First moments, one flat vector per parameter tensor.
    m: Vec<Vec<f32>>,
    /// Second moments, one flat vector per parameter tensor.
    v: Vec<Vec<f32>>,
    /// The next step's first moments (swapped in on success).
    m_next: Vec<Vec<f32>>,
    /// The next step's second moments (swapped in on success).
    v_next: Vec<Vec<f32>>,
}

impl AdamW {
    /// Zero moments for parameters of the given element counts.
    pub fn new(sizes: &[usize]) -> Self {
        let zeros = || sizes.iter().map(|&n| vec![0.0; n]).collect::<Vec<_>>();
        Self {
            m: zeros(),
            v: zeros(),
            m_next: zeros(),
            v_next: zeros(),
        }
    }

    /// Restores moments saved from [`AdamW::moments`].
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] if the two lists differ in length or element counts.
    pub fn from_moments(m: Vec<Vec<f32>>, v: Vec<Vec<f32>>) -> Result<Self> {
        if m.len() != v.len() || m.iter().zip(&v).any(|(a, b)| a.len() != b.len()) {
            return invalid("AdamW first and second moments differ in shape");
        }
        let (m_next, v_next) = (m.clone(), v.clone());
        Ok(Self { m, v, m_next, v_next })
    }

    /// `(first, second)` moments, one flat vector per parameter tensor.
    pub fn moments(&self) -> (&[Vec<f32>], &[Vec<f32>]) {
        (&self.m, &self.v)
    }

    /// Applies update number `t` (1-based, for the bias corrections) to `params` in place.
    /// `decay[i]` says whether parameter `i` gets weight decay.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] if `params`, `grads` or `decay` do not match the moments'
    /// shapes; [`crate::Error::Numerical`] if an updated parameter is NaN/Inf (an overflowing
    /// step): the moments are then left as they were, and `params` must be discarded.
    pub fn update(
        &mut self,
        params: &mut [Vec<f32>],
        grads: &[Vec<f32>],
        decay: &[bool],
        lr: f64,
        cfg: &OptimizerConfig,
        t: u64,
    ) -> Result<()> {
        let n = self.m.len();
        if params.len() != n || grads.len() != n || decay.len() != n {
            return invalid(format!(
                "AdamW holds {n} tensors; got {} parameters, {} gradients",
                params.len(),
                grads.len()
            ));
        }
        let (b1, b2) = cfg.betas;
        let t = i32::try_from(t).unwrap_or(i32::MAX);
        let step_size = (lr / (1.0 - b1.powi(t))) as f32;
        let inv_sqrt_bc2 = (1.0 / (1.0 - b2.powi(t)).sqrt()) as f32;
        let (b1f, b2f, eps) = (b1 as f32, b2 as f32, cfg.eps as f32);
        if let Some(i) = (0..n).find(|&i| params[i].len() != self.m[i].len() || grads[i].len() != self.m[i].len()) {
            return invalid(format!(
                "AdamW tensor {i} holds {} values; got {} and {}",
                self.m[i].len(),
                params[i].len(),
                grads[i].len()
            ));
        }
        let mut finite = true;
        for i in 0..n {
            let keep = if decay[i] {
                (1.0 - lr * cfg.weight_decay) as f32
            } else {
                1.0
            };
            let moments = self.m[i]
                .iter()
                .zip(&self.v[i])
                .zip(self.m_next[i].iter_mut().zip(self.v_next[i].iter_mut()));
            for ((p, &g), ((&m, &v), (m_new, v_new))) in params[i].iter_mut().zip(&grads[i]).zip(moments) {
                *m_new = b1f * m + (1.0 - b1f) * g;
                *v_new = b2f * v + (1.0 - b2f) * g * g;
                *p = *p * keep - step_size * *m_new / (v_new.sqrt() * inv_sqrt_bc2 + eps);
                finite &= p.is_finite();
            }
        }
        if !finite {
            return Err(Error::Numerical(format!(
                "AdamW update {t} produced non-finite weights (learning rate {lr})"
            )));
        }
        std::mem::swap(&mut self.m, &mut self.m_next);
        std::mem::swap(&mut self.v, &mut self.v_next);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> OptimizerConfig {
        OptimizerConfig {
            lr: 0.1,
            min_lr: 0.01,
            warmup_steps: 4,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.1,
            grad_clip: None,
        }
    }

    #[test]
    fn two_adamw_steps_match_the_hand_worked_values() {
        // p0 = 1, g = 0.5 then −0.25, lr 0.1, λ 0.1. With decay, step 1:
        // p = 0.99 − 0.1·0.05/0.1 / (sqrt(0.00025/0.001) + 1e-8) = 0.890000002; step 2:
        // m = 0.02, v = 0.00031225, p = 0.8811 − 0.1·(0.02/0.19)/sqrt(0.00031225/0.001999)
        // = 0.8544663 (the undecayed twin: 0.9000000, 0.8733663).
        let mut adam = AdamW::new(&[1, 1]);
        let mut params = vec![vec![1.0f32], vec![1.0f32]];
        let decay = [true, false];
        let close = |v: f32, want: f64| (f64::from(v) - want).abs() < 1e-6;
        adam.update(&mut params, &[vec![0.5], vec![0.5]], &decay, 0.1, &cfg(), 1)
            .unwrap();
        assert!(
            close(params[0][0], 0.890_000_002) && close(params[1][0], 0.900_000_002),
            "{params:?}"
        );
        adam.update(&mut params, &[vec![-0.25], vec![-0.25]], &decay, 0.1, &cfg(), 2)
            .unwrap();
        assert!(close(params[0][0], 0.854_466_298_7), "{}", params[0][0]);
        assert!(close(params[1][0], 0.873_366_298_7), "{}", params[1][0]);
        let (m, v) = adam.moments();
        // f32 arithmetic: 1 − β2 carries a relative rounding error of ~1e-5.
        let rel = |x: f32, want: f64| (f64::from(x) / want - 1.0).abs() < 1e-4;
        assert!(rel(m[0][0], 0.02) && rel(v[0][0], 0.000_312_25), "{m:?} {v:?}");
    }

    #[test]
    fn an_overflowing_update_changes_nothing() {
        let mut adam = AdamW::new(&[1]);
        let mut params = vec![vec![1.0f32]];
        adam.update(&mut params, &[vec![0.5]], &[false], 0.1, &cfg(), 1)
            .unwrap();
        let moments = (adam.moments().0.to_vec(), adam.moments().1.to_vec());
        let mut huge = vec![vec![f32::MAX]];
        assert!(matches!(
            adam.update(&mut huge, &[vec![-1.0]], &[false], 1e38, &cfg(), 2),
            Err(Error::Numerical(_))
        ));
        assert_eq!((adam.moments().0.to_vec(), adam.moments().1.to_vec()), moments);
    }

    #[test]
    fn mismatched_shapes_are_errors() {
        let mut adam = AdamW::new(&[2]);
        assert!(
            adam.update(&mut [vec![0.0; 3]], &[vec![0.0; 3]], &[true], 0.1, &cfg(), 1)
                .is_err()
        );
        assert!(adam.update(&mut [vec![0.0; 2]], &[], &[true], 0.1, &cfg(), 1).is_err());
        assert!(AdamW::from_moments(vec![vec![0.0; 2]], vec![vec![0.0; 3]]).is_err());
    }

    #[test]
    fn schedule_warms_up_linearly_then_follows_the_cosine_to_the_floor() {
        let c = cfg(); // warm-up 4 steps, then 10 decay steps in a 14-step run
        for (s, want) in [(0, 0.025), (1, 0.05), (2, 0.075), (3, 0.1)] {
            assert!((learning_rate(&c, 14, s) - want).abs() < 1e-15, "warm-up step {s}");
        }
        assert!((learning_rate(&c, 14, 4) - 0.1).abs() < 1e-15);
        assert!(
            (learning_rate(&c, 14, 9) - 0.055).abs() < 1e-12,
            "midpoint is (lr + min_lr) / 2"
        );
        assert!((learning_rate(&c, 14, 14) - 0.01).abs() < 1e-15);
        assert!((learning_rate(&c, 14, 100) - 0.01).abs() < 1e-15, "floor after the end");
    }

    #[test]
    fn clipping_scales_to_the_global_norm() {
        let mut grads = vec![vec![3.0f32], vec![0.0, 4.0]];
        assert_eq!(clip_global_norm(&mut grads, Some(10.0)), 5.0);
        assert_eq!(grads, vec![vec![3.0], vec![0.0, 4.0]], "below the limit: untouched");
        assert_eq!(clip_global_norm(&mut grads, Some(1.0)), 5.0);
        assert!(
            (grads[0][0] - 0.6).abs() < 1e-6 && (grads[1][1] - 0.8).abs() < 1e-6,
            "{grads:?}"
        );
        let before = grads.clone();
        assert!(
            (clip_global_norm(&mut grads, None) - 1.0).abs() < 1e-6,
            "no limit: reports the norm"
        );
        assert_eq!(grads, before, "no limit: untouched");
    }
}
