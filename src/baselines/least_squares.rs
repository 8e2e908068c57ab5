//! Minimum-norm least squares (Garg et al. 2022, §3: the optimal estimator for noiseless
//! `linear` once `k ≥ d`).

use super::{design, predict_linear};
use crate::error::{Error, Result};
use crate::predictive::{Predictive, Predictor};
use crate::tasks::Context;
use nalgebra::SVD;

/// Ordinary least squares `ŵ = X⁺y` through the SVD pseudo-inverse: the exact solution of
/// `min ||y − Xw||²` when `k ≥ d` and `X` has full column rank, and the solution of minimum
/// `||w||` among all minimisers otherwise (in particular when `k < d`, where it is
/// `Xᵀ(XXᵀ)⁻¹y`). Singular values below `max(k, d)·ε·σ_max` count as zero (NumPy's `lstsq`
/// default).
#[derive(Clone, Copy, Debug, Default)]
pub struct LeastSquares;

impl LeastSquares {
    /// The weights `ŵ` (`[d]`); zeros for an empty context.
    ///
    /// # Errors
    /// [`Error::Numerical`] if the SVD fails (it does not for finite input).
    pub fn fit(&self, context: &Context) -> Result<Vec<f64>> {
        if context.is_empty() {
            return Ok(vec![0.0; context.d]);
        }
        let (x, y) = design(context); // [k, d], [k]
        let svd = SVD::new(x, true, true);
        let largest = svd.singular_values.iter().copied().fold(0.0, f64::max);
        let eps = largest * context.len().max(context.d) as f64 * f64::EPSILON;
        let w = svd.solve(&y, eps).map_err(|e| Error::Numerical(format!("least squares: {e}")))?;
        Ok(w.as_slice().to_vec())
    }
}

impl Predictor for LeastSquares {
    fn name(&self) -> String {
        "least_squares".into()
    }

    fn predict(&self, context: &Context, queries: &[f64]) -> Result<Vec<Predictive>> {
        predict_linear(context, queries, |c| self.fit(c))
    }
}
