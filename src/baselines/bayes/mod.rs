//! The exact Bayes posterior predictive of a pretraining mixture (docs/SCIENCE.md, "The exact
//! Bayes posterior").
//!
//! Every closed-form family is a Gaussian-linear model `y = φ(x)·w + σε`, `w ~ N(0, v·I)`, in
//! some basis φ, so a mixture becomes a finite Bayesian model average over components
//! (family × basis × σ), each with an exact marginal likelihood and Gaussian posterior
//! (Bishop, PRML §3.3–3.5; the model-averaging view is Yadlowsky et al. 2023, §2 and Müller et
//! al. 2022, §3):
//!
//! | family | components | basis φ(x) | prior variance v |
//! |---|---|---|---|
//! | `linear` | 1 | `[x]`, with `bias` `[x, 1]` | `1/(d + bias)` |
//! | `sparse_linear(s)` | every support, `C(d, s)` | the support's `s` coordinates, with `bias` and `1` | `1/(s + bias)` |
//! | `sinusoid` | ω grid × directions u | `[sin ωu·x, cos ωu·x]` | 1 |
//! | `relu_net`, `decision_tree` | Monte-Carlo prior draws | — | — |
//!
//! Prior over components: the family's mixture weight, split uniformly over its components
//! and over the σ grid. Approximations, all deliberate and bounded:
//! - **ω grid**: `ω ~ U[ω_lo, ω_hi]` is integrated by the midpoint rule on
//!   [`BayesConfig::omega_grid`] points (exact for `ω_lo = ω_hi`).
//! - **directions**: in 1-D, `u = ±1` are one model (`(a, b) → (−a, b)` maps one onto the
//!   other and the prior is symmetric), so the posterior is exact up to the ω grid. For
//!   `d > 1` the uniform direction `u` is replaced by a fixed seeded sample of
//!   [`BayesConfig::directions`] unit vectors from the family's own prior: an *approximation*,
//!   coarse in high dimension.
//! - **σ grid**: with a noise range `lo < hi`, `σ ~ U[lo, hi]` is integrated by the midpoint
//!   rule on [`BayesConfig::sigma_grid`] points. Every σ is floored at
//!   [`BayesConfig::sigma_floor`] (default 1e-3): a noiseless family (σ = 0) has a degenerate
//!   likelihood, and the floor stands in for it.
//! - **Monte Carlo** for `relu_net` and `decision_tree` (no conjugate form): importance
//!   sampling with the prior as proposal. Each of [`BayesConfig::mc_draws`] seeded prior draws
//!   `f` enters with its mirror `−f` (equally probable under both priors), as a component with
//!   likelihood `Π N(y_i; f(x_i), σ²)` and predictive `N(f(x*), σ²)`. With few noisy points
//!   this is accurate; with many near-noiseless points the weight collapses onto the best draw
//!   and the family's evidence is underestimated.
//! - **pruning**: components whose posterior probability is below `1e-12 / N` (N components)
//!   are dropped from the predictive mixture (total dropped mass ≤ 1e-12); family and ω
//!   posteriors use every component.
//!
//! Cost: the per-context work (sufficient statistics `ΦᵀΦ`, `Φᵀy` and an `m × m` Cholesky per
//! component) is done once in [`BayesPosterior::fit`]; each query then costs one feature
//! evaluation per basis and an `O(m²)` solve per component. Pure Rust, no threads, time or
//! files: it compiles for wasm32.

mod gaussian;

use crate::error::{Error, Result, invalid};
use crate::predictive::{Distribution, GaussianMixture, Predictive, Predictor, log_sum_exp, validate_queries};
use crate::tasks::{Context, FamilySpec, Mixture, NoiseRange, Prompt, SampledFunction, SeededRng};
use gaussian::{Basis, GaussianPosterior, Stats};
use serde::{Deserialize, Serialize};

/// Posterior mass that pruning may drop from a predictive mixture.
const PRUNED_MASS: f64 = 1e-12;
/// Largest number of components (family × basis × σ) a posterior may hold.
const MAX_COMPONENTS: usize = 1 << 22;

/// Discretisation and sampling settings of [`BayesPosterior`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BayesConfig {
    /// Midpoints of the sinusoid ω grid over `[ω_lo, ω_hi]` (one point when `ω_lo = ω_hi`).
    pub omega_grid: usize,
    /// Seeded sinusoid directions `u` for `d > 1` (one direction in 1-D).
    pub directions: usize,
    /// Midpoints of the σ grid over the noise range (one point when `lo = hi`).
    pub sigma_grid: usize,
    /// Prior draws per Monte-Carlo family (each also enters mirrored: `2·mc_draws` components).
    pub mc_draws: usize,
    /// Smallest σ used (stands in for σ = 0).
    pub sigma_floor: f64,
    /// Seed of the directions and Monte-Carlo draws.
    pub seed: u64,
}

impl Default for BayesConfig {
    fn default() -> Self {
        Self { omega_grid: 200, directions: 32, sigma_grid: 8, mc_draws: 256, sigma_floor: 1e-3, seed: 0 }
    }
}

/// The posterior over a sinusoid family's ω grid given a context, conditional on that family
/// (multiply by the family's probability for the joint).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OmegaPosterior {
    /// Grid frequencies (radians per unit of `x`), increasing.
    pub omegas: Vec<f64>,
    /// `P(ω | context, family)`, summing to 1.
    pub probs: Vec<f64>,
}

/// How one mixture family enters the model average.
enum FamilyKind {
    /// Gaussian-linear components sharing one prior variance; `omegas` is the ω grid of a
    /// sinusoid (empty otherwise).
    Gaussian { bases: Vec<Basis>, prior_var: f64, omegas: Vec<f64> },
    /// Monte-Carlo prior draws (each used as `f` and `−f`).
    MonteCarlo { draws: Vec<SampledFunction> },
}

impl FamilyKind {
    fn components(&self) -> usize {
        match self {
            Self::Gaussian { bases, .. } => bases.len(),
            Self::MonteCarlo { draws } => 2 * draws.len(),
        }
    }
}

struct FamilyModel {
    /// `ln π_f`, `-inf` for a family of weight 0.
    log_weight: f64,
    kind: FamilyKind,
}

/// The exact Bayes posterior predictive for a [`Mixture`] with a known noise range (see the
/// module docs for the construction and its approximations).
pub struct BayesPosterior {
    d_eff: usize,
    config: BayesConfig,
    /// σ grid (floored), `[S]`.
    sigmas: Vec<f64>,
    families: Vec<FamilyModel>,
}

/// The prior of the reference "Bayes, had pretraining covered this function": `truth`, the
/// family a shown function was drawn from, with every sinusoid band widened to the hull of
/// its own band and the sinusoid bands of `pretraining` (components of positive weight). A
/// frequency outside the trained band (`sinusoid(omega_lo=5,omega_hi=5)` against a model
/// trained on `[0.5, 2.5]`) then lies inside a prior as wide as pretraining's plus the gap,
/// rather than being known exactly; a `convex(α, …)` family keeps α and widens its parts.
/// Its posterior, against the one of `pretraining`, measures what pretraining ruled out
/// (Yadlowsky et al. 2023, §4: model selection fails outside the pretraining mixture).
pub fn covering_prior(truth: &FamilySpec, pretraining: &Mixture) -> FamilySpec {
    match truth {
        FamilySpec::Sinusoid { omega_lo, omega_hi } => {
            let (lo, hi) = pretraining
                .components
                .iter()
                .filter(|c| c.weight > 0.0)
                .filter_map(|c| match c.family {
                    FamilySpec::Sinusoid { omega_lo, omega_hi } => Some((omega_lo, omega_hi)),
                    _ => None,
                })
                .fold((*omega_lo, *omega_hi), |(lo, hi), (l, h)| (lo.min(l), hi.max(h)));
            FamilySpec::Sinusoid { omega_lo: lo, omega_hi: hi }
        }
        FamilySpec::Convex { alpha, first, second } => FamilySpec::Convex {
            alpha: *alpha,
            first: Box::new(covering_prior(first, pretraining)),
            second: Box::new(covering_prior(second, pretraining)),
        },
        other => other.clone(),
    }
}

/// `n` midpoints of `[lo, hi]`, or `[lo]` when `lo = hi`.
fn midpoints(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if lo == hi {
        return vec![lo];
    }
    (0..n).map(|i| lo + (i as f64 + 0.5) * (hi - lo) / n as f64).collect()
}

/// `C(n, s)` for `s ≤ n`, saturating at `usize::MAX`. Through `C(n, s) = C(n, n − s)` the
/// partial products `C(n, i)`, `i ≤ min(s, n − s) ≤ n/2`, increase, so once one exceeds the
/// range the result does too.
fn binomial(n: usize, s: usize) -> usize {
    let mut acc = 1u128;
    for i in 0..s.min(n - s) {
        acc = acc * (n - i) as u128 / (i + 1) as u128; // C(n, i + 1), exact
        if acc > usize::MAX as u128 {
            return usize::MAX;
        }
    }
    acc as usize
}

/// Every `s`-subset of `0..n` in lexicographic order.
fn supports(n: usize, s: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::with_capacity(binomial(n, s));
    let mut c: Vec<usize> = (0..s).collect();
    loop {
        out.push(c.clone());
        let Some(i) = (0..s).rev().find(|&i| c[i] < n - s + i) else {
            return out;
        };
        c[i] += 1;
        for j in i + 1..s {
            c[j] = c[j - 1] + 1;
        }
    }
}

/// How `family` enters the model average, for inputs with `d_eff` active coordinates; `rng`
/// seeds its sinusoid directions and Monte-Carlo draws.
///
/// A `convex(α, f1, f2)` family, `s·(α f1 + (1−α) f2)` with `s = 1/sqrt(α² + (1−α)²)`, is
/// Gaussian-linear whenever `f1` and `f2` are: its components are every pair of their bases,
/// concatenated with weights `s·α·sqrt(v1)` and `s·(1−α)·sqrt(v2)` under a unit prior (exact per
/// pair; a sinusoid part keeps its ω grid and directions).
fn family_kind(family: &FamilySpec, d_eff: usize, config: &BayesConfig, rng: &SeededRng) -> Result<FamilyKind> {
    Ok(match family {
        FamilySpec::Linear { bias } => FamilyKind::Gaussian {
            bases: vec![Basis::Linear { d_eff, bias: *bias }],
            prior_var: 1.0 / (d_eff + usize::from(*bias)) as f64,
            omegas: Vec::new(),
        },
        FamilySpec::SparseLinear { s, bias } => {
            if binomial(d_eff, *s) > MAX_COMPONENTS {
                return invalid(format!("{family} in d = {d_eff} has too many supports"));
            }
            FamilyKind::Gaussian {
                bases: supports(d_eff, *s).into_iter().map(|coords| Basis::Support { coords, bias: *bias }).collect(),
                prior_var: 1.0 / (s + usize::from(*bias)) as f64,
                omegas: Vec::new(),
            }
        }
        FamilySpec::Sinusoid { omega_lo, omega_hi } => {
            let omegas = midpoints(*omega_lo, *omega_hi, config.omega_grid);
            let directions: Vec<Vec<f64>> = if d_eff == 1 {
                vec![vec![1.0]]
            } else {
                let mut rng = rng.clone();
                (0..config.directions)
                    .map(|_| match family.sample(d_eff, &mut rng)? {
                        SampledFunction::Sinusoid { u, .. } => Ok(u),
                        _ => unreachable!("a sinusoid family samples sinusoids"),
                    })
                    .collect::<Result<_>>()?
            };
            if omegas.len().saturating_mul(directions.len()) > MAX_COMPONENTS {
                return invalid("sinusoid ω grid × directions is too large");
            }
            let bases = omegas
                .iter()
                .enumerate()
                .flat_map(|(slot, &omega)| directions.iter().map(move |u| Basis::Sinusoid { slot, omega, u: u.clone() }))
                .collect();
            FamilyKind::Gaussian { bases, prior_var: 1.0, omegas }
        }
        FamilySpec::ReluNet { .. } | FamilySpec::DecisionTree { .. } => {
            let mut rng = rng.clone();
            let draws = (0..config.mc_draws).map(|_| family.sample(d_eff, &mut rng)).collect::<Result<_>>()?;
            FamilyKind::MonteCarlo { draws }
        }
        FamilySpec::Convex { alpha, first, second } => {
            let scale = 1.0 / (alpha * alpha + (1.0 - alpha) * (1.0 - alpha)).sqrt();
            let mut parts = Vec::with_capacity(2);
            for (i, (weight, spec)) in [(alpha * scale, first), ((1.0 - alpha) * scale, second)].into_iter().enumerate() {
                match family_kind(spec, d_eff, config, &rng.derive(i as u64))? {
                    FamilyKind::Gaussian { bases, prior_var, .. } => parts.push((weight * prior_var.sqrt(), bases)),
                    FamilyKind::MonteCarlo { .. } => {
                        return invalid(format!(
                            "{family} has no exact posterior: {spec} is not Gaussian-linear (convex combinations of linear, sparse_linear and sinusoid families are)"
                        ));
                    }
                }
            }
            let [(c1, first), (c2, second)] = <[_; 2]>::try_from(parts).expect("two parts");
            if first.len().saturating_mul(second.len()) > MAX_COMPONENTS {
                return invalid(format!("{family} would need more than {MAX_COMPONENTS} components"));
            }
            let bases = first
                .iter()
                .flat_map(|b1| second.iter().map(move |b2| Basis::Sum(vec![(c1, b1.clone()), (c2, b2.clone())])))
                .collect();
            FamilyKind::Gaussian { bases, prior_var: 1.0, omegas: Vec::new() }
        }
    })
}

impl BayesPosterior {
    /// The posterior for `mixture` under observation noise `σ ~ U[noise.lo, noise.hi]` on
    /// inputs whose first `d_eff` coordinates are active, with [`BayesConfig::default`].
    ///
    /// # Errors
    /// As [`BayesPosterior::with_config`].
    pub fn new(mixture: &Mixture, noise: NoiseRange, d_eff: usize) -> Result<Self> {
        Self::with_config(mixture, noise, d_eff, BayesConfig::default())
    }

    /// As [`BayesPosterior::new`] with explicit settings.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] for a `convex` family of a Monte-Carlo family (no exact
    /// posterior), families invalid for `d_eff`, a bad noise range, zero grid sizes
    /// or draws, a non-positive σ floor, or more than 2²² components in all.
    pub fn with_config(mixture: &Mixture, noise: NoiseRange, d_eff: usize, config: BayesConfig) -> Result<Self> {
        let noise = NoiseRange::new(noise.lo, noise.hi)?;
        if config.omega_grid == 0 || config.directions == 0 || config.sigma_grid == 0 || config.mc_draws == 0 {
            return invalid(format!("Bayes grid sizes and draws must be >= 1 (got {config:?})"));
        }
        if !(config.sigma_floor.is_finite() && config.sigma_floor > 0.0) {
            return invalid(format!("Bayes sigma_floor must be finite and > 0 (got {})", config.sigma_floor));
        }
        let mixture = Mixture::new(mixture.components.clone())?;
        mixture.validate(d_eff)?;
        let sigmas: Vec<f64> =
            midpoints(noise.lo, noise.hi, config.sigma_grid).into_iter().map(|s| s.max(config.sigma_floor)).collect();
        let root = SeededRng::new(config.seed);
        let mut total = 0usize;
        let mut families = Vec::with_capacity(mixture.components.len());
        for (f, (component, prob)) in mixture.components.iter().zip(mixture.probabilities()).enumerate() {
            let kind = family_kind(&component.family, d_eff, &config, &root.derive(f as u64))?;
            total = total.saturating_add(kind.components().saturating_mul(sigmas.len()));
            if total > MAX_COMPONENTS {
                return invalid(format!("the Bayes posterior would need more than {MAX_COMPONENTS} components"));
            }
            families.push(FamilyModel { log_weight: prob.ln(), kind });
        }
        Ok(Self { d_eff, config, sigmas, families })
    }

    /// The settings in use.
    pub fn config(&self) -> &BayesConfig {
        &self.config
    }

    /// The σ grid (after flooring), `[S]`.
    pub fn sigma_grid(&self) -> &[f64] {
        &self.sigmas
    }

    /// Conditions on `context`: all per-context work, done once for any number of queries.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] when `context.d < d_eff`; [`Error::Numerical`] when the
    /// context's values are so large that likelihoods overflow.
    pub fn fit(&self, context: &Context) -> Result<BayesFit<'_>> {
        self.check_dim(context.d)?;
        let mut acc = Accumulator::new(self);
        for i in 0..context.len() {
            acc.add(context.x(i), context.ys[i]);
        }
        acc.finish(context.d)
    }

    fn check_dim(&self, d: usize) -> Result<()> {
        if d < self.d_eff {
            return invalid(format!("context dimension {d} is below the posterior's d_eff = {}", self.d_eff));
        }
        Ok(())
    }
}

/// Running sufficient statistics of a context for every component.
struct Accumulator<'a> {
    model: &'a BayesPosterior,
    k: usize,
    /// `yᵀy`.
    yy: f64,
    families: Vec<FamilyStats>,
    /// `[max m]` feature buffer.
    phi: Vec<f64>,
}

enum FamilyStats {
    /// A family of prior weight 0: no components.
    Absent,
    Gaussian(Vec<Stats>),
    /// Residual sums of squares `Σ(y − f(x))²`, `Σ(y + f(x))²` per draw.
    MonteCarlo(Vec<[f64; 2]>),
}

impl<'a> Accumulator<'a> {
    fn new(model: &'a BayesPosterior) -> Self {
        let mut max_m = 0;
        let families = model
            .families
            .iter()
            .map(|f| match &f.kind {
                _ if f.log_weight == f64::NEG_INFINITY => FamilyStats::Absent,
                FamilyKind::Gaussian { bases, .. } => {
                    max_m = bases.iter().map(Basis::dim).fold(max_m, usize::max);
                    FamilyStats::Gaussian(bases.iter().map(|b| Stats::new(b.dim())).collect())
                }
                FamilyKind::MonteCarlo { draws } => FamilyStats::MonteCarlo(vec![[0.0; 2]; draws.len()]),
            })
            .collect();
        Self { model, k: 0, yy: 0.0, families, phi: vec![0.0; max_m] }
    }

    /// Adds the observation `(x, y)`, `x` of length `≥ d_eff`.
    fn add(&mut self, x: &[f64], y: f64) {
        self.k += 1;
        self.yy += y * y;
        for (family, stats) in self.model.families.iter().zip(&mut self.families) {
            match (&family.kind, stats) {
                (FamilyKind::Gaussian { bases, .. }, FamilyStats::Gaussian(stats)) => {
                    for (basis, st) in bases.iter().zip(stats) {
                        let phi = &mut self.phi[..basis.dim()];
                        basis.features(x, phi);
                        st.add(phi, y);
                    }
                }
                (FamilyKind::MonteCarlo { draws }, FamilyStats::MonteCarlo(rss)) => {
                    for (f, rss) in draws.iter().zip(rss) {
                        let v = f.eval(x);
                        rss[0] += (y - v) * (y - v);
                        rss[1] += (y + v) * (y + v);
                    }
                }
                _ => {}
            }
        }
    }

    /// The posterior given the observations so far, for queries of dimension `d`.
    fn finish(&self, d: usize) -> Result<BayesFit<'a>> {
        let model = self.model;
        let log_sigma_prior = -(model.sigmas.len() as f64).ln();
        let mut components: Vec<Component<'a>> = Vec::new();
        for (f, (family, stats)) in model.families.iter().zip(&self.families).enumerate() {
            let log_prior = family.log_weight - (family.kind.components() as f64).ln() + log_sigma_prior;
            match (&family.kind, stats) {
                (FamilyKind::Gaussian { bases, prior_var, .. }, FamilyStats::Gaussian(stats)) => {
                    for (basis, st) in bases.iter().zip(stats) {
                        for &sigma in &model.sigmas {
                            let posterior = GaussianPosterior::new(st, self.k, self.yy, *prior_var, sigma)?;
                            components.push(Component {
                                family: f,
                                log_weight: log_prior + posterior.log_evidence,
                                kind: ComponentKind::Gaussian { basis, posterior },
                            });
                        }
                    }
                }
                (FamilyKind::MonteCarlo { draws }, FamilyStats::MonteCarlo(rss)) => {
                    for (function, rss) in draws.iter().zip(rss) {
                        for (sign, rss) in [1.0, -1.0].into_iter().zip(rss) {
                            for &sigma in &model.sigmas {
                                let log_lik = -0.5 * self.k as f64 * (std::f64::consts::TAU * sigma * sigma).ln()
                                    - 0.5 * rss / (sigma * sigma);
                                components.push(Component {
                                    family: f,
                                    log_weight: log_prior + log_lik,
                                    kind: ComponentKind::Draw { function, sign, sigma },
                                });
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        let log_weights: Vec<f64> = components.iter().map(|c| c.log_weight).collect();
        let log_evidence = log_sum_exp(&log_weights);
        if !log_evidence.is_finite() {
            return Err(Error::Numerical("Bayes posterior: the context's likelihood under-/overflows".into()));
        }
        let mut family_probs = vec![0.0; model.families.len()];
        let mut omega: Vec<Option<OmegaPosterior>> = model
            .families
            .iter()
            .map(|f| match &f.kind {
                FamilyKind::Gaussian { omegas, .. } if !omegas.is_empty() && f.log_weight > f64::NEG_INFINITY => {
                    Some(OmegaPosterior { omegas: omegas.clone(), probs: vec![0.0; omegas.len()] })
                }
                _ => None,
            })
            .collect();
        // The ω posterior is conditional on its family, which may itself be improbable: scale
        // by the family's largest weight, not the total, so it never underflows.
        let mut family_max = vec![f64::NEG_INFINITY; model.families.len()];
        components.iter().for_each(|c| family_max[c.family] = family_max[c.family].max(c.log_weight));
        let threshold = PRUNED_MASS / components.len() as f64;
        let mut kept = Vec::new();
        for c in components {
            let p = (c.log_weight - log_evidence).exp();
            family_probs[c.family] += p;
            if let (Some(om), ComponentKind::Gaussian { basis: Basis::Sinusoid { slot, .. }, .. }) =
                (&mut omega[c.family], &c.kind)
            {
                om.probs[*slot] += (c.log_weight - family_max[c.family]).exp();
            }
            if p >= threshold {
                kept.push((p, c.kind));
            }
        }
        for om in omega.iter_mut().flatten() {
            let total: f64 = om.probs.iter().sum();
            om.probs.iter_mut().for_each(|p| *p /= total);
        }
        // Each p carries its own rounding; renormalise so the family probabilities sum to 1.
        let total: f64 = family_probs.iter().sum();
        family_probs.iter_mut().for_each(|p| *p /= total);
        let kept_mass: f64 = kept.iter().map(|(p, _)| p).sum();
        kept.iter_mut().for_each(|(p, _)| *p /= kept_mass);
        let max_m = self.phi.len();
        Ok(BayesFit { d, components: kept, family_probs, omega, log_evidence, max_m })
    }
}

struct Component<'a> {
    family: usize,
    log_weight: f64,
    kind: ComponentKind<'a>,
}

enum ComponentKind<'a> {
    Gaussian {
        basis: &'a Basis,
        posterior: GaussianPosterior,
    },
    /// The prior draw `sign · f` with noise σ.
    Draw {
        function: &'a SampledFunction,
        sign: f64,
        sigma: f64,
    },
}

/// A [`BayesPosterior`] conditioned on one context: predictions at any number of queries,
/// family probabilities, ω posteriors and the marginal likelihood.
pub struct BayesFit<'a> {
    /// Query dimension (the context's `d`).
    d: usize,
    /// Kept components with renormalised posterior probabilities, grouped by basis or draw.
    components: Vec<(f64, ComponentKind<'a>)>,
    family_probs: Vec<f64>,
    omega: Vec<Option<OmegaPosterior>>,
    log_evidence: f64,
    max_m: usize,
}

impl BayesFit<'_> {
    /// `P(family | context)` for each family of the mixture, in mixture order (sums to 1).
    pub fn family_probs(&self) -> &[f64] {
        &self.family_probs
    }

    /// `log p(y_1..k | x_1..k)` under the whole mixture prior (0 for an empty context).
    pub fn log_marginal_likelihood(&self) -> f64 {
        self.log_evidence
    }

    /// The ω posterior of mixture family `family`, conditional on that family.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] unless `family` indexes a `sinusoid` family of positive
    /// weight.
    pub fn omega_posterior(&self, family: usize) -> Result<&OmegaPosterior> {
        match self.omega.get(family) {
            Some(Some(om)) => Ok(om),
            _ => invalid(format!("family {family} is not a sinusoid family of positive weight")),
        }
    }

    /// The posterior predictive at `queries` (`[q, d]` row-major): a Gaussian mixture per
    /// query, its mean, and the family probabilities.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] for queries of the wrong length or non-finite values.
    pub fn predict(&self, queries: &[f64]) -> Result<Vec<Predictive>> {
        validate_queries(self.d, queries)?;
        let mut phi = vec![0.0; self.max_m];
        let mut scratch = vec![0.0; self.max_m];
        Ok(queries.chunks_exact(self.d).map(|x| self.predict_one(x, &mut phi, &mut scratch)).collect())
    }

    fn predict_one(&self, x: &[f64], phi: &mut [f64], scratch: &mut [f64]) -> Predictive {
        let n = self.components.len();
        let mut mixture = GaussianMixture {
            weights: Vec::with_capacity(n),
            means: Vec::with_capacity(n),
            stds: Vec::with_capacity(n),
        };
        // Components come grouped by basis (over σ) and by draw (over sign and σ): compute
        // features and function values once per group.
        let mut last_basis: Option<&Basis> = None;
        let mut last_draw: Option<(&SampledFunction, f64)> = None;
        for (w, kind) in &self.components {
            let (mean, std) = match kind {
                ComponentKind::Gaussian { basis, posterior } => {
                    let m = basis.dim();
                    if !last_basis.is_some_and(|b| std::ptr::eq(b, *basis)) {
                        basis.features(x, &mut phi[..m]);
                        last_basis = Some(basis);
                    }
                    posterior.predictive(&phi[..m], scratch)
                }
                ComponentKind::Draw { function, sign, sigma } => {
                    let value = match last_draw {
                        Some((f, v)) if std::ptr::eq(f, *function) => v,
                        _ => function.eval(x),
                    };
                    last_draw = Some((function, value));
                    (sign * value, *sigma)
                }
            };
            mixture.weights.push(*w);
            mixture.means.push(mean);
            mixture.stds.push(std);
        }
        Predictive {
            mean: mixture.mean(),
            distribution: Some(Distribution::Gaussian(mixture)),
            family_probs: Some(self.family_probs.clone()),
        }
    }
}

impl Predictor for BayesPosterior {
    fn name(&self) -> String {
        let c = &self.config;
        if *c == BayesConfig::default() {
            return "bayes".into();
        }
        format!(
            "bayes(omega_grid={},directions={},sigma_grid={},mc_draws={},sigma_floor={},seed={})",
            c.omega_grid, c.directions, c.sigma_grid, c.mc_draws, c.sigma_floor, c.seed
        )
    }

    fn predict(&self, context: &Context, queries: &[f64]) -> Result<Vec<Predictive>> {
        validate_queries(context.d, queries)?;
        self.fit(context)?.predict(queries)
    }

    /// One pass over the prompt: the sufficient statistics grow by one point per position, so
    /// each prefix costs one update and one conditioning instead of a refit from scratch.
    fn predict_prompt(&self, prompt: &Prompt) -> Result<Vec<Predictive>> {
        let context = Context::new(prompt.d, &prompt.xs, &prompt.ys)?;
        self.check_dim(context.d)?;
        let mut acc = Accumulator::new(self);
        let mut phi = vec![0.0; acc.phi.len()];
        let mut scratch = phi.clone();
        let mut out = Vec::with_capacity(context.len());
        for i in 0..context.len() {
            out.push(acc.finish(context.d)?.predict_one(context.x(i), &mut phi, &mut scratch));
            acc.add(context.x(i), context.ys[i]);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
