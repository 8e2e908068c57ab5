//! Predictive distributions and the one interface every predictor implements (baselines, the
//! exact Bayes posterior, the transformer), so the evaluation harness treats them alike.

use crate::error::Result;
use crate::tasks::{Context, Prompt};
use serde::{Deserialize, Serialize};

/// `Φ(z)`, the standard normal CDF (pure-Rust `erf`, identical natively and in wasm).
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * (1.0 + libm::erf(z / std::f64::consts::SQRT_2))
}

/// Standard deviations beyond which a Gaussian component's CDF is taken as exactly 0 or 1
/// (`Φ(−8.5) < 1e-17`, below what a sum of probabilities resolves).
pub const CDF_CUTOFF: f64 = 8.5;

/// `log φ(z)`, the standard normal log density.
pub fn normal_log_pdf(z: f64) -> f64 {
    -0.5 * z * z - 0.5 * (std::f64::consts::TAU).ln()
}

/// `log Σ exp(v)`, stable; `-inf` for an empty slice.
pub fn log_sum_exp(values: &[f64]) -> f64 {
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return max;
    }
    max + values.iter().map(|v| (v - max).exp()).sum::<f64>().ln()
}

/// `Φ⁻¹(p)`, the standard normal quantile, `0 < p < 1` (Acklam's rational approximation,
/// relative error below 1.2e-9; NaN outside `(0, 1)`). A starting point for the quantiles of
/// Gaussian mixtures, not a final answer.
pub fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
    const B: [f64; 5] = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
    const C: [f64; 6] = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
    const D: [f64; 4] = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
    const LOW: f64 = 0.02425;
    if !(p > 0.0 && p < 1.0) {
        return f64::NAN;
    }
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < LOW {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - LOW {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// Mixture components lighter than this are dropped before quantiles are computed: a Bayes
/// posterior keeps thousands of components of which a few carry the mass, and every CDF
/// evaluation visits all of them. Quantiles move by at most this much probability.
pub const QUANTILE_PRUNE_WEIGHT: f64 = 1e-12;

/// Inverts a monotone CDF by bisection on `[lo, hi]` to ~1e-12 relative width.
fn invert_cdf(cdf: impl Fn(f64) -> f64, p: f64, mut lo: f64, mut hi: f64) -> f64 {
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if cdf(mid) < p { lo = mid } else { hi = mid }
        if hi - lo <= 1e-12 * (1.0 + mid.abs()) {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// A mixture of Gaussians `Σ_j w_j N(μ_j, s_j²)`: the exact posterior predictive of a
/// Bayesian model average over Gaussian-linear components.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GaussianMixture {
    /// Component weights, non-negative, summing to 1.
    pub weights: Vec<f64>,
    /// Component means.
    pub means: Vec<f64>,
    /// Component standard deviations (> 0).
    pub stds: Vec<f64>,
}

/// A bar distribution (Müller et al., "Transformers Can Do Bayesian Inference", ICLR 2022):
/// `K` bins with borders `b_0 < … < b_K`; inner bins carry uniform density, the two end bins
/// are half-normal tails (outward from `b_1` and `b_{K−1}`), so every real `y` has finite,
/// positive density. A tail's scale puts half of its mass within the width of its neighbouring
/// inner bin (`b_2 − b_1`, `b_{K−1} − b_{K−2}`): with equal-probability borders this continues
/// the prior's own decay (for a standard normal prior and `K = 100` it gives 0.40, against 0.47
/// for the maximum-likelihood half-normal fit of the prior's excess beyond `b_{K−1}`). `b_0` and
/// `b_K` only record the range of `y` seen in pretraining; they do not shape the density.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BarDistribution {
    /// `[K + 1]` increasing borders.
    pub borders: Vec<f64>,
    /// `[K]` bin probabilities summing to 1.
    pub probs: Vec<f64>,
}

/// Median of `|Z|`, `Z ~ N(0, 1)`: a half-normal of scale `w / HALF_NORMAL_MEDIAN` has half
/// its mass within `w`.
const HALF_NORMAL_MEDIAN: f64 = 0.674_489_750_196_081_7;

/// Scales of the left and right half-normal tails of a bar distribution with `borders`
/// (`[K + 1]`, `K >= 3`): half of a tail's mass lies within its neighbouring inner bin's width.
fn tail_scales(borders: &[f64]) -> (f64, f64) {
    let k = borders.len() - 1;
    ((borders[2] - borders[1]) / HALF_NORMAL_MEDIAN, (borders[k - 1] - borders[k - 2]) / HALF_NORMAL_MEDIAN)
}

/// The bin holding `y` and the log of the within-bin density shape, so that a bar
/// distribution's `log p(y) = log probs[bin] + log_shape` (`borders` is `[K + 1]`, `K >= 3`).
/// Inner bins: `log_shape = −log(width)`; end bins: the half-normal tail's log density.
/// A NaN `y` gives `(0, NaN)`.
/// The bar-distribution loss uses this to turn bin log-probabilities into a density NLL.
pub fn bar_bin_log_shape(borders: &[f64], y: f64) -> (usize, f64) {
    let k = borders.len() - 1;
    if y.is_nan() {
        return (0, f64::NAN);
    }
    let (left, right) = tail_scales(borders);
    let half_normal = |t: f64, s: f64| std::f64::consts::LN_2 + normal_log_pdf(t / s) - s.ln();
    if y <= borders[1] {
        return (0, half_normal(borders[1] - y, left));
    }
    if y >= borders[k - 1] {
        return (k - 1, half_normal(y - borders[k - 1], right));
    }
    // Bin i holds [b_i, b_{i+1}); partition_point finds the first border > y.
    let i = borders.partition_point(|&v| v <= y) - 1;
    (i, -(borders[i + 1] - borders[i]).ln())
}

impl BarDistribution {
    fn bins(&self) -> usize {
        self.probs.len()
    }

    /// The bar distribution on `borders` (`[K + 1]`, `K >= 3`) closest to a distribution with
    /// CDF `cdf`: bin `i` gets the mass `cdf(b_{i+1}) − cdf(b_i)`, the end bins the tail masses
    /// `cdf(b_1)` and `1 − cdf(b_{K−1})`. Among bar distributions on these borders it has the
    /// lowest expected NLL under that distribution (the bin shapes are fixed, so the expected NLL
    /// is a cross-entropy over bins, minimised by the true bin masses). Masses are floored at
    /// 1e-12 and renormalised, so that every `y` keeps a finite log density.
    pub fn from_cdf(borders: Vec<f64>, cdf: impl Fn(f64) -> f64) -> Self {
        let k = borders.len() - 1;
        let at: Vec<f64> = (1..k).map(|i| cdf(borders[i])).collect();
        Self::from_cdf_values(borders, &at)
    }

    /// As [`BarDistribution::from_cdf`], from the CDF's values at the inner borders
    /// `b_1 … b_{K−1}` (`at`: `[K − 1]`).
    pub fn from_cdf_values(borders: Vec<f64>, at: &[f64]) -> Self {
        let k = borders.len() - 1;
        let at: Vec<f64> = at.iter().map(|v| v.clamp(0.0, 1.0)).collect(); // CDF at b_1 … b_{K−1}
        let mut probs: Vec<f64> = std::iter::once(at[0])
            .chain(at.windows(2).map(|w| w[1] - w[0]))
            .chain(std::iter::once(1.0 - at[k - 2]))
            .map(|p| p.max(1e-12))
            .collect();
        let total: f64 = probs.iter().sum();
        probs.iter_mut().for_each(|p| *p /= total);
        Self { borders, probs }
    }

    /// Mean of the distribution (the point prediction).
    pub fn mean(&self) -> f64 {
        let (b, k) = (&self.borders, self.bins());
        let (sl, sr) = tail_scales(&self.borders);
        let half_normal_mean = (2.0 / std::f64::consts::PI).sqrt();
        let inner: f64 = (1..k - 1).map(|i| self.probs[i] * 0.5 * (b[i] + b[i + 1])).sum();
        inner + self.probs[0] * (b[1] - sl * half_normal_mean) + self.probs[k - 1] * (b[k - 1] + sr * half_normal_mean)
    }

    /// Variance of the distribution.
    pub fn variance(&self) -> f64 {
        let (b, k) = (&self.borders, self.bins());
        let (sl, sr) = tail_scales(&self.borders);
        let m1 = (2.0 / std::f64::consts::PI).sqrt();
        // E[y²] per bin: uniform (a² + ab + b²)/3; half-normal at c with scale s: c² ± 2cs·m1 + s².
        let inner: f64 =
            (1..k - 1).map(|i| self.probs[i] * (b[i] * b[i] + b[i] * b[i + 1] + b[i + 1] * b[i + 1]) / 3.0).sum();
        let left = self.probs[0] * (b[1] * b[1] - 2.0 * b[1] * sl * m1 + sl * sl);
        let right = self.probs[k - 1] * (b[k - 1] * b[k - 1] + 2.0 * b[k - 1] * sr * m1 + sr * sr);
        (inner + left + right - self.mean().powi(2)).max(0.0)
    }

    /// `P(Y <= y)`.
    pub fn cdf(&self, y: f64) -> f64 {
        let (b, k) = (&self.borders, self.bins());
        let (sl, sr) = tail_scales(&self.borders);
        if y <= b[1] {
            // Left tail mass beyond distance t from b_1 is p0·(1 − erf-part).
            return self.probs[0] * (1.0 - (2.0 * normal_cdf((b[1] - y) / sl) - 1.0));
        }
        let mut acc = self.probs[0];
        for i in 1..k - 1 {
            if y < b[i + 1] {
                return acc + self.probs[i] * (y - b[i]) / (b[i + 1] - b[i]);
            }
            acc += self.probs[i];
        }
        acc + self.probs[k - 1] * (2.0 * normal_cdf((y - b[k - 1]) / sr) - 1.0)
    }

    /// `log p(y)`.
    pub fn log_density(&self, y: f64) -> f64 {
        let (bin, log_shape) = bar_bin_log_shape(&self.borders, y);
        self.probs[bin].ln() + log_shape
    }

    /// The `p`-quantile, `0 < p < 1`: read off the piecewise-linear CDF of the inner bins in
    /// one pass, or, for a level inside a half-normal tail, by bisection of the CDF.
    pub fn quantile(&self, p: f64) -> f64 {
        let (b, probs, k) = (&self.borders, &self.probs, self.bins());
        let mut below = probs[0]; // CDF at b_i for the bin i being looked at
        for i in 1..k - 1 {
            if p > below && p <= below + probs[i] {
                return b[i] + (p - below) / probs[i] * (b[i + 1] - b[i]);
            }
            below += probs[i];
        }
        let (sl, sr) = tail_scales(&self.borders);
        invert_cdf(|y| self.cdf(y), p, b[1] - 40.0 * sl, b[k - 1] + 40.0 * sr)
    }
}

impl GaussianMixture {
    /// A single Gaussian.
    pub fn gaussian(mean: f64, std: f64) -> Self {
        Self { weights: vec![1.0], means: vec![mean], stds: vec![std] }
    }

    /// Mixture mean `Σ w_j μ_j`.
    pub fn mean(&self) -> f64 {
        self.weights.iter().zip(&self.means).map(|(w, m)| w * m).sum()
    }

    /// Mixture variance `Σ w_j (s_j² + μ_j²) − mean²`.
    pub fn variance(&self) -> f64 {
        let second: f64 =
            self.weights.iter().zip(&self.means).zip(&self.stds).map(|((w, m), s)| w * (s * s + m * m)).sum();
        (second - self.mean().powi(2)).max(0.0)
    }

    /// `P(Y <= y)`.
    pub fn cdf(&self, y: f64) -> f64 {
        self.weights.iter().zip(&self.means).zip(&self.stds).map(|((w, m), s)| w * normal_cdf((y - m) / s)).sum()
    }

    /// `P(Y <= y)` at each of the ascending `ys` (`[n]`), in one pass over the components: a
    /// component adds its whole weight at the `y` more than [`CDF_CUTOFF`] standard deviations
    /// above its mean and nothing below, so only the `y` within that distance evaluate its CDF
    /// (the bar-distribution floor asks for the CDF at every border of a model's head, for
    /// mixtures of thousands of components).
    pub fn cdf_sorted(&self, ys: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; ys.len()];
        let mut whole = vec![0.0; ys.len() + 1]; // weight wholly below y_i, added from index i on
        for ((w, m), s) in self.weights.iter().zip(&self.means).zip(&self.stds) {
            let lo = ys.partition_point(|&y| y < m - CDF_CUTOFF * s);
            let hi = lo + ys[lo..].partition_point(|&y| y <= m + CDF_CUTOFF * s);
            for (o, y) in out[lo..hi].iter_mut().zip(&ys[lo..hi]) {
                *o += w * normal_cdf((y - m) / s);
            }
            whole[hi] += w;
        }
        let mut below = 0.0;
        for (o, add) in out.iter_mut().zip(&whole) {
            below += add;
            *o += below;
        }
        out
    }

    /// `log p(y)`, computed in log space.
    pub fn log_density(&self, y: f64) -> f64 {
        let terms: Vec<f64> = self
            .weights
            .iter()
            .zip(&self.means)
            .zip(&self.stds)
            .filter(|((w, _), _)| **w > 0.0)
            .map(|((w, m), s)| w.ln() + normal_log_pdf((y - m) / s) - s.ln())
            .collect();
        log_sum_exp(&terms)
    }

    /// `p(y) = Σ w_j φ((y − μ_j)/s_j)/s_j` (underflows to 0 far in the tails).
    pub fn density(&self, y: f64) -> f64 {
        let norm = 1.0 / (2.0 * std::f64::consts::PI).sqrt();
        self.weights.iter().zip(&self.means).zip(&self.stds).map(|((w, m), s)| w * norm / s * (-0.5 * ((y - m) / s).powi(2)).exp()).sum()
    }

    /// The mixture without components lighter than [`QUANTILE_PRUNE_WEIGHT`], renormalised.
    pub fn pruned(&self) -> Self {
        let keep: Vec<usize> = (0..self.weights.len()).filter(|&i| self.weights[i] >= QUANTILE_PRUNE_WEIGHT).collect();
        let total: f64 = keep.iter().map(|&i| self.weights[i]).sum();
        Self {
            weights: keep.iter().map(|&i| self.weights[i] / total).collect(),
            means: keep.iter().map(|&i| self.means[i]).collect(),
            stds: keep.iter().map(|&i| self.stds[i]).collect(),
        }
    }

    /// The quantiles at `levels` (each in `(0, 1)`) of the [pruned](Self::pruned) mixture, by
    /// safeguarded Newton steps on the CDF started at the moment-matched Gaussian's quantile and
    /// kept inside a shrinking bracket (a bisection step whenever Newton would leave it). A
    /// handful of CDF evaluations where plain bisection needs about fifty, which matters for a
    /// posterior of thousands of components at hundreds of queries.
    ///
    /// # Errors
    /// [`crate::Error::Numerical`] for a mixture without a finite bracket (no component left
    /// after pruning, or non-finite means or widths).
    pub fn quantiles(&self, levels: &[f64]) -> Result<Vec<f64>> {
        let g = self.pruned();
        let lo0 = g.means.iter().zip(&g.stds).map(|(m, s)| m - 40.0 * s).fold(f64::INFINITY, f64::min);
        let hi0 = g.means.iter().zip(&g.stds).map(|(m, s)| m + 40.0 * s).fold(f64::NEG_INFINITY, f64::max);
        let (mean, sd) = (g.mean(), g.variance().sqrt());
        if !(lo0.is_finite() && hi0.is_finite() && lo0 <= hi0 && mean.is_finite() && sd.is_finite()) {
            return Err(crate::Error::Numerical(format!(
                "a predictive mixture of {} components has no finite quantiles (bracket [{lo0}, {hi0}])",
                self.weights.len()
            )));
        }
        Ok(levels
            .iter()
            .map(|&p| {
                let (mut lo, mut hi) = (lo0, hi0);
                let start = mean + sd * normal_quantile(p);
                let mut y = if start.is_finite() { start.clamp(lo, hi) } else { 0.5 * (lo + hi) };
                for _ in 0..200 {
                    let f = g.cdf(y) - p;
                    if f < 0.0 { lo = y } else { hi = y }
                    let mut next = y - f / g.density(y);
                    if !(next > lo && next < hi) {
                        next = 0.5 * (lo + hi);
                    }
                    let done = (next - y).abs() <= 1e-12 * (1.0 + y.abs()) || hi - lo <= 1e-12 * (1.0 + y.abs());
                    y = next;
                    if done {
                        break;
                    }
                }
                y
            })
            .collect())
    }

    /// The `p`-quantile, `0 < p < 1` (see [`GaussianMixture::quantiles`]; NaN for a mixture
    /// without finite quantiles).
    pub fn quantile(&self, p: f64) -> f64 {
        self.quantiles(&[p]).map_or(f64::NAN, |q| q[0])
    }
}

/// A full predictive distribution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Distribution {
    Gaussian(GaussianMixture),
    Bar(BarDistribution),
}

impl Distribution {
    /// Mean.
    pub fn mean(&self) -> f64 {
        match self {
            Self::Gaussian(g) => g.mean(),
            Self::Bar(b) => b.mean(),
        }
    }
    /// Variance.
    pub fn variance(&self) -> f64 {
        match self {
            Self::Gaussian(g) => g.variance(),
            Self::Bar(b) => b.variance(),
        }
    }
    /// `P(Y <= y)`.
    pub fn cdf(&self, y: f64) -> f64 {
        match self {
            Self::Gaussian(g) => g.cdf(y),
            Self::Bar(b) => b.cdf(y),
        }
    }
    /// `P(Y <= y)` at each of the ascending `ys` (`[n]`; one pass for a Gaussian mixture).
    pub fn cdf_sorted(&self, ys: &[f64]) -> Vec<f64> {
        match self {
            Self::Gaussian(g) => g.cdf_sorted(ys),
            Self::Bar(b) => ys.iter().map(|&y| b.cdf(y)).collect(),
        }
    }
    /// `log p(y)`.
    pub fn log_density(&self, y: f64) -> f64 {
        match self {
            Self::Gaussian(g) => g.log_density(y),
            Self::Bar(b) => b.log_density(y),
        }
    }
    /// The `p`-quantile.
    pub fn quantile(&self, p: f64) -> f64 {
        match self {
            Self::Gaussian(g) => g.quantile(p),
            Self::Bar(b) => b.quantile(p),
        }
    }

    /// The quantiles at `levels` (each in `(0, 1)`): what the page draws as bands.
    ///
    /// # Errors
    /// As [`GaussianMixture::quantiles`].
    pub fn quantiles(&self, levels: &[f64]) -> Result<Vec<f64>> {
        match self {
            Self::Gaussian(g) => g.quantiles(levels),
            Self::Bar(b) => Ok(levels.iter().map(|&p| b.quantile(p)).collect()),
        }
    }
}

/// One prediction at one query point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Predictive {
    /// Point prediction (the distribution's mean where there is one).
    pub mean: f64,
    /// The predictive distribution, for predictors that have one.
    pub distribution: Option<Distribution>,
    /// Probability of each family of the predictor's mixture given the context, where known.
    pub family_probs: Option<Vec<f64>>,
}

impl Predictive {
    /// A bare point prediction.
    pub fn point(mean: f64) -> Self {
        Self { mean, distribution: None, family_probs: None }
    }
}

/// Anything that predicts `y` at query inputs from an in-context set of `(x, y)` pairs.
pub trait Predictor {
    /// A short, unique label (`least_squares`, `lasso(alpha=0.01)`, `bayes`, `transformer:…`).
    fn name(&self) -> String;

    /// Predictions at `queries` (`[q, d]` row-major, `d = context.d`) given `context`.
    /// An empty context must be accepted (baselines then predict 0).
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] for queries of the wrong length or non-finite values,
    /// or a context this predictor cannot take (e.g. longer than a model's `max_points`).
    fn predict(&self, context: &Context, queries: &[f64]) -> Result<Vec<Predictive>>;

    /// For every position `i` of `prompt`, the prediction of `y_i` from the first `i` pairs
    /// (`[n]` predictions). The transformer overrides this with one causal forward pass.
    ///
    /// # Errors
    /// As [`Predictor::predict`].
    fn predict_prompt(&self, prompt: &Prompt) -> Result<Vec<Predictive>> {
        (0..prompt.len())
            .map(|i| Ok(self.predict(&Context::prefix(prompt, i), prompt.x(i))?.remove(0)))
            .collect()
    }
}

/// Leave-one-out predictions (`[n]`): for each point `i` of `context`, the prediction at `x_i`
/// from the other `n − 1` pairs. With the true function unknown, the share of `y_i` inside
/// their own predicted 90% intervals says whether a predictor's bands can be trusted on this
/// data (Hastie, Tibshirani & Friedman, "The Elements of Statistical Learning", §7.10).
///
/// # Errors
/// As [`Predictor::predict`] for each reduced context.
pub fn leave_one_out(predictor: &dyn Predictor, context: &Context) -> Result<Vec<Predictive>> {
    let (n, d) = (context.len(), context.d);
    let mut xs = Vec::with_capacity(n.saturating_sub(1) * d);
    let mut ys = Vec::with_capacity(n.saturating_sub(1));
    (0..n)
        .map(|i| {
            xs.clear();
            ys.clear();
            for j in (0..n).filter(|&j| j != i) {
                xs.extend_from_slice(context.x(j));
                ys.push(context.ys[j]);
            }
            Ok(predictor.predict(&Context::new(d, &xs, &ys)?, context.x(i))?.remove(0))
        })
        .collect()
}

/// Checks a query block against the context's dimension.
///
/// # Errors
/// [`crate::Error::InvalidInput`] if `queries.len()` is not a multiple of `d` or a value is
/// not finite.
pub fn validate_queries(d: usize, queries: &[f64]) -> Result<usize> {
    if d == 0 || !queries.len().is_multiple_of(d) {
        return crate::error::invalid(format!("{} query values do not form points of dimension {d}", queries.len()));
    }
    crate::error::ensure_finite(queries, "query x")?;
    Ok(queries.len() / d)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Least squares with an intercept has a closed-form leave-one-out residual (the PRESS
    /// identity): `y_i − ŷ_(−i) = e_i / (1 − h_ii)` with `e` the full-fit residuals and `h_ii` the
    /// leverages `1/n + (x_i − x̄)² / Σ(x_j − x̄)²`.
    #[test]
    fn normal_quantile_matches_known_values_and_inverts_the_cdf() {
        assert!((normal_quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-8);
        assert!((normal_quantile(0.05) + 1.644_853_626_951_472_2).abs() < 1e-8);
        assert_eq!(normal_quantile(0.5), 0.0);
        for p in [1e-10, 0.001, 0.02, 0.3, 0.9, 0.99999] {
            assert!((normal_cdf(normal_quantile(p)) - p).abs() < 1e-7 * p.min(1.0 - p), "p = {p}");
        }
        assert!(normal_quantile(0.0).is_nan() && normal_quantile(1.0).is_nan() && normal_quantile(f64::NAN).is_nan());
    }

    /// Newton on a bimodal mixture lands where bisection of the same CDF does.
    #[test]
    fn mixture_quantiles_match_bisection_of_the_cdf() {
        let g = GaussianMixture { weights: vec![0.3, 0.5, 0.2], means: vec![-4.0, 1.0, 1.2], stds: vec![0.3, 0.05, 2.0] };
        let levels = [0.01, 0.05, 0.25, 0.3, 0.5, 0.75, 0.95, 0.999];
        for (q, &p) in g.quantiles(&levels).unwrap().iter().zip(&levels) {
            let bisection = invert_cdf(|y| g.cdf(y), p, -20.0, 20.0);
            assert!((q - bisection).abs() < 1e-9, "level {p}: {q} vs {bisection}");
            assert!((g.cdf(*q) - p).abs() < 1e-10);
        }
    }

    #[test]
    fn pruning_light_components_keeps_the_quantiles() {
        let g = GaussianMixture { weights: vec![0.7, 0.3 - 1e-13, 1e-13], means: vec![0.0, 2.0, 50.0], stds: vec![1.0, 0.5, 1.0] };
        assert_eq!(g.pruned().means, vec![0.0, 2.0]);
        for p in [0.05, 0.5, 0.95] {
            assert!((g.quantile(p) - invert_cdf(|y| g.cdf(y), p, -60.0, 90.0)).abs() < 1e-9);
        }
    }

    #[test]
    fn a_mixture_without_finite_quantiles_is_an_error() {
        let empty = GaussianMixture { weights: vec![1e-300, f64::NAN], means: vec![0.0, 1.0], stds: vec![1.0, 1.0] };
        assert!(matches!(empty.quantiles(&[0.5]), Err(crate::Error::Numerical(_))));
        assert!(empty.quantile(0.5).is_nan());
        let infinite = GaussianMixture { weights: vec![1.0], means: vec![f64::INFINITY], stds: vec![1.0] };
        assert!(infinite.quantiles(&[0.5]).is_err());
    }

    /// Inner levels are read off the piecewise-linear CDF; tail levels agree with bisection.
    #[test]
    fn bar_quantiles_are_exact_inside_and_bisected_in_the_tails() {
        let bar = BarDistribution { borders: vec![-3.0, -1.0, 0.0, 1.0, 3.0], probs: vec![0.1, 0.4, 0.3, 0.2] };
        // The CDF is 0.1 at −1 and rises by 0.4 per unit to 0.5 at 0.
        assert!((bar.quantile(0.25) - (-1.0 + 0.15 / 0.4)).abs() < 1e-12);
        assert!(bar.quantile(0.5).abs() < 1e-12);
        assert!((bar.quantile(0.75) - 0.25 / 0.3).abs() < 1e-12);
        for p in [0.05, 0.95] {
            assert!((bar.cdf(bar.quantile(p)) - p).abs() < 1e-10);
        }
    }

    #[test]
    fn leave_one_out_matches_the_press_identity_of_least_squares() {
        let xs = [-1.5, -0.4, 0.1, 0.7, 1.2, 2.6];
        let ys = [0.3, -0.8, 0.5, 1.9, 0.4, 2.2];
        let n = xs.len() as f64;
        let context = Context::new(1, &xs, &ys).unwrap();
        let loo = leave_one_out(&crate::baselines::LeastSquares { intercept: true }, &context).unwrap();
        let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
        let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
        let slope = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum::<f64>() / sxx;
        for (i, p) in loo.iter().enumerate() {
            let residual = ys[i] - (my + slope * (xs[i] - mx));
            let leverage = 1.0 / n + (xs[i] - mx).powi(2) / sxx;
            let expected = ys[i] - residual / (1.0 - leverage);
            assert!((p.mean - expected).abs() < 1e-10, "point {i}: {} vs {expected}", p.mean);
        }
        assert!(leave_one_out(&crate::baselines::LeastSquares { intercept: true }, &Context::new(1, &[], &[]).unwrap()).unwrap().is_empty());
    }

    #[test]
    fn cdf_at_sorted_points_matches_the_cdf_point_by_point() {
        // Wide and very narrow components, some far outside the points, unnormalised order.
        let g = GaussianMixture {
            weights: vec![0.3, 0.25, 0.2, 0.15, 0.1],
            means: vec![0.4, -1.2, 7.0, 0.41, -30.0],
            stds: vec![1.5, 0.01, 0.3, 0.001, 2.0],
        };
        let ys: Vec<f64> = (0..=400).map(|i| -4.0 + 0.02 * f64::from(i)).collect();
        let fast = g.cdf_sorted(&ys);
        for (y, f) in ys.iter().zip(&fast) {
            assert!((f - g.cdf(*y)).abs() < 1e-15, "y = {y}: {f} vs {}", g.cdf(*y));
        }
        // Below, between and above all components.
        let ends = g.cdf_sorted(&[-1e3, 1e3]);
        assert!(ends[0] == 0.0 && (ends[1] - 1.0).abs() < 1e-15, "{ends:?}");
        assert!(g.cdf_sorted(&[]).is_empty());
        let bar = Distribution::Bar(bars());
        assert_eq!(bar.cdf_sorted(&[-1.0, 0.5]), vec![bar.cdf(-1.0), bar.cdf(0.5)]);
    }

    fn bars() -> BarDistribution {
        BarDistribution { borders: vec![-3.0, -1.0, 0.0, 1.0, 3.0], probs: vec![0.1, 0.4, 0.3, 0.2] }
    }

    #[test]
    fn bar_density_integrates_to_one_and_matches_cdf() {
        let bar = bars();
        // Trapezoid integration of the density on a wide grid.
        let (lo, hi, n) = (-40.0, 40.0, 400_000);
        let h = (hi - lo) / n as f64;
        let mut total = 0.0;
        let mut mean = 0.0;
        for i in 0..n {
            let y = lo + (i as f64 + 0.5) * h;
            let p = bar.log_density(y).exp();
            total += p * h;
            mean += y * p * h;
        }
        assert!((total - 1.0).abs() < 1e-6, "{total}");
        assert!((mean - bar.mean()).abs() < 1e-4, "{mean} vs {}", bar.mean());
        assert!((bar.cdf(-1.0) - 0.1).abs() < 1e-12);
        assert!((bar.cdf(0.5) - 0.65).abs() < 1e-12);
        assert!((bar.quantile(0.65) - 0.5).abs() < 1e-9);
        // Half of each tail's mass lies within its neighbouring inner bin's width (1 from
        // b_{K−1} = 1 on the right, 1 from b_1 = −1 on the left); b_0 and b_K play no part.
        assert!((bar.cdf(2.0) - (0.8 + 0.1)).abs() < 1e-9);
        assert!((bar.cdf(-2.0) - 0.05).abs() < 1e-9);
        // Tail means by hand: b_{K−1} + s·√(2/π) with s = 1/0.6745 (and b_1 − s·√(2/π)).
        let tail = (2.0 / std::f64::consts::PI).sqrt() / HALF_NORMAL_MEDIAN;
        let by_hand = 0.1 * (-1.0 - tail) + 0.4 * -0.5 + 0.3 * 0.5 + 0.2 * (1.0 + tail);
        assert!((bar.mean() - by_hand).abs() < 1e-12, "{} vs {by_hand}", bar.mean());
    }

    #[test]
    fn projection_onto_bins_takes_the_cdf_differences() {
        // A bar distribution projected onto its own borders is itself.
        let bar = bars();
        let same = BarDistribution::from_cdf(bar.borders.clone(), |y| bar.cdf(y));
        assert!(same.probs.iter().zip(&bar.probs).all(|(a, b)| (a - b).abs() < 1e-11), "{:?}", same.probs);
        // N(0, 1) on [−3, −1, 0, 1, 3]: Φ(−1), Φ(0) − Φ(−1), Φ(1) − Φ(0), 1 − Φ(1); b_0 and
        // b_K play no part.
        let phi_1 = 0.841_344_746_068_542_9;
        let g = GaussianMixture::gaussian(0.0, 1.0);
        let projected = BarDistribution::from_cdf(bar.borders.clone(), |y| g.cdf(y));
        let by_hand = [1.0 - phi_1, phi_1 - 0.5, phi_1 - 0.5, 1.0 - phi_1];
        assert!(projected.probs.iter().zip(by_hand).all(|(a, b)| (a - b).abs() < 1e-9), "{:?}", projected.probs);
    }

    #[test]
    fn gaussian_mixture_moments_and_quantiles() {
        let g = GaussianMixture { weights: vec![0.25, 0.75], means: vec![-1.0, 2.0], stds: vec![0.5, 1.0] };
        assert!((g.mean() - 1.25).abs() < 1e-12);
        // E[y²] = 0.25(0.25 + 1) + 0.75(1 + 4) = 4.0625
        assert!((g.variance() - (4.0625 - 1.5625)).abs() < 1e-12);
        let q = g.quantile(0.3);
        assert!((g.cdf(q) - 0.3).abs() < 1e-10);
        let single = GaussianMixture::gaussian(0.0, 1.0);
        assert!((single.quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-8);
    }
}
