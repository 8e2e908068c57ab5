//! The Lasso (Tibshirani 1996) by cyclic coordinate descent (Friedman, Hastie & Tibshirani,
//! "Regularization paths for generalized linear models via coordinate descent", J. Stat.
//! Softw. 2010), with scikit-learn's objective and warm-started α path.

use super::{dot, predict_linear};
use crate::error::{Error, Result, invalid};
use crate::predictive::{Predictive, Predictor, validate_queries};
use crate::tasks::Context;

/// Coordinate-descent sweeps allowed for one α before giving up.
const MAX_SWEEPS: usize = 100_000;
/// Convergence: the largest coordinate update, in gradient units (`||X_j||²/k · |Δw_j|`), is
/// below this fraction of `α_max`.
const TOLERANCE: f64 = 1e-11;
/// Points of the geometric α grid the predictor walks from `α_max` down to its α.
const PATH_POINTS: usize = 10;

/// `α_max = ||Xᵀy||_∞ / k`: the smallest α whose Lasso solution is `w = 0`.
fn alpha_max(context: &Context) -> f64 {
    let k = context.len().max(1) as f64;
    (0..context.d)
        .map(|j| (0..context.len()).map(|i| context.x(i)[j] * context.ys[i]).sum::<f64>().abs() / k)
        .fold(0.0, f64::max)
}

/// `n` values of α from `α_max` down to `eps·α_max`, evenly spaced in log scale (scikit-learn's
/// `lasso_path` grid; it uses `n = 100`, `eps = 1e-3`). Empty when `α_max = 0` (then `w = 0`
/// for every α).
///
/// # Errors
/// [`crate::Error::InvalidInput`] unless `n ≥ 1` and `0 < eps ≤ 1`.
pub fn lasso_alpha_grid(context: &Context, n: usize, eps: f64) -> Result<Vec<f64>> {
    if n == 0 || !(eps > 0.0 && eps <= 1.0) {
        return invalid(format!("lasso α grid needs n >= 1 and 0 < eps <= 1 (got n = {n}, eps = {eps})"));
    }
    let top = alpha_max(context);
    if top == 0.0 {
        return Ok(Vec::new());
    }
    let step = if n == 1 { 0.0 } else { eps.ln() / (n - 1) as f64 };
    Ok((0..n).map(|i| top * (step * i as f64).exp()).collect())
}

/// Lasso solutions `ŵ(α) = argmin 1/(2k)||y − Xw||² + α||w||₁` (no intercept) for each α in
/// `alphas`, in the given order, each warm-started from the previous one (pass α in
/// decreasing order, as [`lasso_alpha_grid`] does, for the warm start to help). Returns
/// `[alphas.len()][d]` weights; zeros for an empty context.
///
/// # Errors
/// [`crate::Error::InvalidInput`] for an α that is not finite and `> 0`;
/// [`Error::Numerical`] if coordinate descent has not converged after 100 000 sweeps.
pub fn lasso_path(context: &Context, alphas: &[f64]) -> Result<Vec<Vec<f64>>> {
    if let Some(a) = alphas.iter().find(|a| !(a.is_finite() && **a > 0.0)) {
        return invalid(format!("lasso needs a finite alpha > 0 (got {a})"));
    }
    let (k, d) = (context.len(), context.d);
    let mut w = vec![0.0; d];
    let top = alpha_max(context);
    if k == 0 || top == 0.0 {
        return Ok(vec![w; alphas.len()]);
    }
    let kf = k as f64;
    // Column-major copy of X for contiguous coordinate access: cols[j] is [k].
    let cols: Vec<Vec<f64>> = (0..d).map(|j| (0..k).map(|i| context.x(i)[j]).collect()).collect();
    let norms: Vec<f64> = cols.iter().map(|c| c.iter().map(|v| v * v).sum::<f64>() / kf).collect(); // [d]
    let mut residual = context.ys.to_vec(); // r = y − Xw, [k]
    let mut path = Vec::with_capacity(alphas.len());
    for &alpha in alphas {
        let mut converged = false;
        for _ in 0..MAX_SWEEPS {
            let mut largest_step = 0.0f64;
            for j in 0..d {
                if norms[j] == 0.0 {
                    continue;
                }
                let rho = cols[j].iter().zip(&residual).map(|(x, r)| x * r).sum::<f64>() / kf + norms[j] * w[j];
                let new = rho.signum() * (rho.abs() - alpha).max(0.0) / norms[j];
                let delta = new - w[j];
                if delta != 0.0 {
                    residual.iter_mut().zip(&cols[j]).for_each(|(r, x)| *r -= x * delta);
                    w[j] = new;
                }
                largest_step = largest_step.max(norms[j] * delta.abs());
            }
            if largest_step <= TOLERANCE * top {
                converged = true;
                break;
            }
        }
        if !converged {
            return Err(Error::Numerical(format!("lasso(alpha={alpha}) did not converge in {MAX_SWEEPS} sweeps")));
        }
        path.push(w.clone());
    }
    Ok(path)
}

/// The Lasso at one α (scikit-learn's `Lasso(alpha, fit_intercept=False)`), solved along a
/// warm-started geometric path of 10 α values from `α_max` down to α. With `intercept`
/// (scikit-learn's `fit_intercept=True`), the context is centred first and the intercept, which
/// is not penalised, is `ȳ − x̄·ŵ`; label `lasso(alpha=…,intercept)`.
#[derive(Clone, Copy, Debug)]
pub struct Lasso {
    alpha: f64,
    intercept: bool,
}

impl Lasso {
    /// # Errors
    /// [`crate::Error::InvalidInput`] unless α is finite and `> 0`.
    pub fn new(alpha: f64, intercept: bool) -> Result<Self> {
        if !(alpha.is_finite() && alpha > 0.0) {
            return invalid(format!("lasso needs a finite alpha > 0 (got {alpha})"));
        }
        Ok(Self { alpha, intercept })
    }

    /// The regularisation strength α.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// The weights `ŵ(α)` (`[d]`); zeros for an empty context or `α ≥ α_max`.
    ///
    /// # Errors
    /// As [`lasso_path`].
    pub fn fit(&self, context: &Context) -> Result<Vec<f64>> {
        let top = alpha_max(context);
        if self.alpha >= top {
            return Ok(vec![0.0; context.d]);
        }
        let mut alphas = lasso_alpha_grid(context, PATH_POINTS, self.alpha / top)?;
        // The grid ends at α up to rounding; make the last point exact.
        *alphas.last_mut().expect("PATH_POINTS > 0") = self.alpha;
        Ok(lasso_path(context, &alphas)?.pop().expect("one solution per alpha"))
    }
}

impl Predictor for Lasso {
    fn name(&self) -> String {
        format!("lasso(alpha={}{})", self.alpha, if self.intercept { ",intercept" } else { "" })
    }

    fn predict(&self, context: &Context, queries: &[f64]) -> Result<Vec<Predictive>> {
        if !self.intercept || context.is_empty() {
            return predict_linear(context, queries, |c| self.fit(c));
        }
        let (d, k) = (context.d, context.len());
        validate_queries(d, queries)?;
        let x_mean: Vec<f64> = (0..d).map(|j| (0..k).map(|i| context.x(i)[j]).sum::<f64>() / k as f64).collect(); // [d]
        let y_mean = context.ys.iter().sum::<f64>() / k as f64;
        let centre = |points: &[f64]| -> Vec<f64> {
            points.chunks_exact(d).flat_map(|x| x.iter().zip(&x_mean).map(|(v, m)| v - m)).collect()
        };
        let (xs, ys): (Vec<f64>, Vec<f64>) = (centre(context.xs), context.ys.iter().map(|y| y - y_mean).collect());
        let w = self.fit(&Context::new(d, &xs, &ys)?)?; // [d], fitted on the centred context
        Ok(centre(queries).chunks_exact(d).map(|x| Predictive::point(y_mean + dot(&w, x))).collect())
    }
}
