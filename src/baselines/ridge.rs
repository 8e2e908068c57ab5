//! Ridge regression (Hoerl & Kennard 1970).

use super::{design, predict_linear};
use crate::error::{Error, Result, invalid};
use crate::predictive::{Predictive, Predictor};
use crate::tasks::Context;
use nalgebra::{Cholesky, DMatrix};

/// Ridge regression without intercept: `ŵ = argmin ||y − Xw||² + λ||w||² = (XᵀX + λI)⁻¹Xᵀy`
/// (scikit-learn's `Ridge(alpha=λ, fit_intercept=False)`). It is the Bayes posterior mean of
/// `linear` without bias at known noise σ when `λ = σ²·d` (prior `w ~ N(0, I/d)`).
#[derive(Clone, Copy, Debug)]
pub struct Ridge {
    lambda: f64,
}

impl Ridge {
    /// # Errors
    /// [`crate::Error::InvalidInput`] unless `λ` is finite and `> 0`.
    pub fn new(lambda: f64) -> Result<Self> {
        if !(lambda.is_finite() && lambda > 0.0) {
            return invalid(format!("ridge needs a finite lambda > 0 (got {lambda})"));
        }
        Ok(Self { lambda })
    }

    /// The regularisation strength λ.
    pub fn lambda(&self) -> f64 {
        self.lambda
    }

    /// The weights `ŵ` (`[d]`); zeros for an empty context.
    ///
    /// # Errors
    /// [`Error::Numerical`] if `XᵀX + λI` is not numerically positive definite.
    pub fn fit(&self, context: &Context) -> Result<Vec<f64>> {
        let (x, y) = design(context); // [k, d], [k]
        let gram = x.tr_mul(&x) + DMatrix::identity(context.d, context.d) * self.lambda; // [d, d]
        let chol =
            Cholesky::new(gram).ok_or_else(|| Error::Numerical("ridge: XᵀX + λI is not positive definite".into()))?;
        Ok(chol.solve(&x.tr_mul(&y)).as_slice().to_vec())
    }
}

impl Predictor for Ridge {
    fn name(&self) -> String {
        format!("ridge(lambda={})", self.lambda)
    }

    fn predict(&self, context: &Context, queries: &[f64]) -> Result<Vec<Predictive>> {
        predict_linear(context, queries, |c| self.fit(c))
    }
}
