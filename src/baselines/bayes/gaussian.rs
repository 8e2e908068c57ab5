//! One Gaussian-linear component: `y = φ(x)·w + σε`, `w ~ N(0, v·I_m)`, `ε ~ N(0, 1)`, and its
//! exact posterior and marginal likelihood (Bishop, "Pattern Recognition and Machine
//! Learning", §3.3 and §3.5), computed in the `m`-dimensional weight space through a Cholesky
//! factor, so the cost is `O(k·m² + m³)` whatever the context length `k`.

use crate::error::{Error, Result};
use nalgebra::{Cholesky, DMatrix, DVector};

/// A feature map `φ: R^d → R^m` (only the first `d_eff` coordinates of `x` are read).
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Basis {
    /// `[x_1 … x_deff]`, followed by `1` with a bias.
    Linear { d_eff: usize, bias: bool },
    /// The coordinates of one sparse support, `[x_i for i in coords]`, followed by `1` with a bias.
    Support { coords: Vec<usize>, bias: bool },
    /// `[sin(ω u·x), cos(ω u·x)]`; `slot` indexes the family's ω grid.
    Sinusoid { slot: usize, omega: f64, u: Vec<f64> },
    /// The concatenation `[c_1·φ_1(x), c_2·φ_2(x), …]` of weighted feature maps: with a unit
    /// prior on the weights, `Σ_j c_j φ_j(x)·w_j` has the prior of a sum of independent
    /// Gaussian-linear functions whose weights have variance `c_j²`.
    Sum(Vec<(f64, Basis)>),
}

impl Basis {
    /// Number of features `m`.
    pub(super) fn dim(&self) -> usize {
        match self {
            Self::Linear { d_eff, bias } => d_eff + usize::from(*bias),
            Self::Support { coords, bias } => coords.len() + usize::from(*bias),
            Self::Sinusoid { .. } => 2,
            Self::Sum(parts) => parts.iter().map(|(_, b)| b.dim()).sum(),
        }
    }

    /// Writes `φ(x)` (`[m]`) into `out`.
    pub(super) fn features(&self, x: &[f64], out: &mut [f64]) {
        match self {
            Self::Linear { d_eff, bias } => {
                out[..*d_eff].copy_from_slice(&x[..*d_eff]);
                if *bias {
                    out[*d_eff] = 1.0;
                }
            }
            Self::Support { coords, bias } => {
                coords.iter().zip(out.iter_mut()).for_each(|(&i, o)| *o = x[i]);
                if *bias {
                    out[coords.len()] = 1.0;
                }
            }
            Self::Sinusoid { omega, u, .. } => {
                let phase = omega * u.iter().zip(x).map(|(u, x)| u * x).sum::<f64>();
                out[0] = libm::sin(phase);
                out[1] = libm::cos(phase);
            }
            Self::Sum(parts) => {
                let mut offset = 0;
                for (c, basis) in parts {
                    let part = &mut out[offset..offset + basis.dim()];
                    basis.features(x, part);
                    part.iter_mut().for_each(|v| *v *= c);
                    offset += basis.dim();
                }
            }
        }
    }
}

/// Sufficient statistics of a context for one basis: `ΦᵀΦ` (`[m, m]`, row-major) and `Φᵀy`
/// (`[m]`). The context length `k` and `yᵀy` are shared by all bases and kept by the caller.
#[derive(Clone, Debug)]
pub(super) struct Stats {
    gram: Vec<f64>,
    phi_y: Vec<f64>,
}

impl Stats {
    pub(super) fn new(m: usize) -> Self {
        Self { gram: vec![0.0; m * m], phi_y: vec![0.0; m] }
    }

    /// Adds one observation `(φ(x), y)`: a rank-one update.
    pub(super) fn add(&mut self, phi: &[f64], y: f64) {
        let m = self.phi_y.len();
        for (i, &pi) in phi.iter().enumerate() {
            self.phi_y[i] += pi * y;
            self.gram[i * m..(i + 1) * m].iter_mut().zip(phi).for_each(|(g, pj)| *g += pi * pj);
        }
    }
}

/// The posterior `w | data ~ N(μ, σ²A⁻¹)` with `A = ΦᵀΦ + (σ²/v)I`, and the log marginal
/// likelihood `log N(y; 0, vΦΦᵀ + σ²I)`.
#[derive(Clone, Debug)]
pub(super) struct GaussianPosterior {
    /// Posterior mean `μ = A⁻¹Φᵀy`, `[m]` (the ridge solution with `λ = σ²/v`).
    mean: Vec<f64>,
    /// Lower Cholesky factor `L` of `A`, `[m, m]` row-major.
    chol: Vec<f64>,
    /// Noise standard deviation σ.
    sigma: f64,
    /// `log p(y_1..k)` under this component.
    pub(super) log_evidence: f64,
}

impl GaussianPosterior {
    /// Conditions the prior `N(0, v·I)` on `k` observations with sufficient statistics
    /// `stats` and `yy = yᵀy`, at noise σ.
    ///
    /// Log evidence (matrix determinant lemma and Woodbury identity):
    /// `−k/2·log(2πσ²) − ½·log|A·v/σ²| − ½·(yᵀy − μᵀΦᵀy)/σ²`.
    ///
    /// # Errors
    /// [`Error::Numerical`] if `A` is not numerically positive definite (only for extreme
    /// inputs, e.g. values near 1e150).
    pub(super) fn new(stats: &Stats, k: usize, yy: f64, prior_var: f64, sigma: f64) -> Result<Self> {
        let m = stats.phi_y.len();
        let ridge = sigma * sigma / prior_var;
        let a = DMatrix::from_row_slice(m, m, &stats.gram) + DMatrix::identity(m, m) * ridge; // [m, m]
        let chol = Cholesky::new(a).ok_or_else(|| {
            Error::Numerical("Bayes posterior: ΦᵀΦ + (σ²/v)I is not positive definite (inputs too large?)".into())
        })?;
        let phi_y = DVector::from_column_slice(&stats.phi_y);
        let mean = chol.solve(&phi_y); // [m]
        let l = chol.l(); // [m, m]
        let log_det_a: f64 = 2.0 * (0..m).map(|i| l[(i, i)].ln()).sum::<f64>();
        let quad = (yy - phi_y.dot(&mean)).max(0.0) / (sigma * sigma);
        let log_evidence = -0.5 * k as f64 * (std::f64::consts::TAU * sigma * sigma).ln()
            - 0.5 * (log_det_a + m as f64 * (prior_var / (sigma * sigma)).ln())
            - 0.5 * quad;
        let chol = (0..m).flat_map(|i| (0..m).map(move |j| (i, j))).map(|(i, j)| l[(i, j)]).collect();
        Ok(Self { mean: mean.as_slice().to_vec(), chol, sigma, log_evidence })
    }

    /// Posterior predictive `N(φ·μ, σ²(1 + φᵀA⁻¹φ))` at features `phi` (`[m]`); returns
    /// `(mean, std)`. `scratch` holds at least `m` values.
    pub(super) fn predictive(&self, phi: &[f64], scratch: &mut [f64]) -> (f64, f64) {
        let m = self.mean.len();
        let mean = phi.iter().zip(&self.mean).map(|(p, w)| p * w).sum();
        // Forward substitution L z = φ; then φᵀA⁻¹φ = |z|².
        let mut quad = 0.0;
        for i in 0..m {
            let row = &self.chol[i * m..i * m + i];
            let zi = (phi[i] - row.iter().zip(&scratch[..i]).map(|(l, z)| l * z).sum::<f64>()) / self.chol[i * m + i];
            scratch[i] = zi;
            quad += zi * zi;
        }
        (mean, self.sigma * (1.0 + quad).sqrt())
    }
}
