//! The averaging estimator (Garg et al. 2022, §3): `ŵ = mean_j(y_j x_j)`, unbiased for
//! `linear` without bias when `x ~ N(0, I)` (since `E[x xᵀ] = I`).

use super::predict_linear;
use crate::error::Result;
use crate::predictive::{Predictive, Predictor};
use crate::tasks::Context;

/// `ŵ = (1/k) Σ_j y_j x_j`, `ŷ = ŵ·x`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Averaging;

impl Averaging {
    /// The weights `ŵ` (`[d]`); zeros for an empty context.
    pub fn fit(&self, context: &Context) -> Vec<f64> {
        let mut w = vec![0.0; context.d];
        for (j, y) in context.ys.iter().enumerate() {
            w.iter_mut().zip(context.x(j)).for_each(|(w, x)| *w += y * x);
        }
        let k = context.len().max(1) as f64;
        w.iter_mut().for_each(|w| *w /= k);
        w
    }
}

impl Predictor for Averaging {
    fn name(&self) -> String {
        "averaging".into()
    }

    fn predict(&self, context: &Context, queries: &[f64]) -> Result<Vec<Predictive>> {
        predict_linear(context, queries, |c| Ok(self.fit(c)))
    }
}
