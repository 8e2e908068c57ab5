//! Minimum-norm least squares (Garg et al. 2022, §3: the optimal estimator for noiseless
//! `linear` once `k ≥ d`).

use super::{design, predict_linear};
use crate::error::{Error, Result};
use crate::predictive::{Predictive, Predictor, validate_queries};
use crate::tasks::Context;
use nalgebra::SVD;

/// Ordinary least squares `ŵ = X⁺y` through the SVD pseudo-inverse: the exact solution of
/// `min ||y − Xw||²` when `k ≥ d` and `X` has full column rank, and the solution of minimum
/// `||w||` among all minimisers otherwise (in particular when `k < d`, where it is
/// `Xᵀ(XXᵀ)⁻¹y`). Singular values below `max(k, d)·ε·σ_max` count as zero (NumPy's `lstsq`
/// default). With `intercept`, every input gets a constant 1 appended ([`with_intercept`]), so
/// the fit is `w·x + b` (the baseline for families with a bias, and the line a reader expects
/// through a point cloud); label `least_squares(intercept)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct LeastSquares {
    /// Fit an intercept `b` beside the weights.
    pub intercept: bool,
}

/// Appends a constant 1 to every `d`-dimensional point (`[n, d]` → `[n, d + 1]`).
pub fn with_intercept(points: &[f64], d: usize) -> Vec<f64> {
    points.chunks(d).flat_map(|x| x.iter().copied().chain(std::iter::once(1.0))).collect()
}

impl LeastSquares {
    /// The weights `ŵ` (`[d]`, the intercept ignored: see [`Predictor::predict`]); zeros for an
    /// empty context.
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
        if self.intercept { "least_squares(intercept)" } else { "least_squares" }.into()
    }

    fn predict(&self, context: &Context, queries: &[f64]) -> Result<Vec<Predictive>> {
        if !self.intercept {
            return predict_linear(context, queries, |c| self.fit(c));
        }
        let d = context.d;
        validate_queries(d, queries)?;
        let (xs, queries) = (with_intercept(context.xs, d), with_intercept(queries, d));
        let augmented = Context::new(d + 1, &xs, context.ys)?; // [k, d + 1]
        predict_linear(&augmented, &queries, |c| self.fit(c))
    }
}
