//! The evaluation harness: seeded prompts, every predictor run on every prompt with one
//! [`Predictor::predict_prompt`] call, and the metrics of docs/SCIENCE.md ("Metrics") with
//! bootstrap intervals.

use super::bootstrap::{Bootstrap, Estimate};
use crate::error::{Error, Result, invalid};
use crate::predictive::Predictor;
use crate::tasks::{Mixture, NoiseRange, Prompt, SeededRng};
use serde::{Deserialize, Serialize};

/// Prompts per evaluation (at least 1280; docs/SCIENCE.md, "Metrics").
pub const DEFAULT_PROMPTS: usize = 1280;
/// Most points per evaluation prompt (every predictor is run at every prefix, so the cost
/// grows with the square of this).
pub const MAX_EVAL_POINTS: usize = 10_000;
/// Bootstrap resamples per interval (docs/SCIENCE.md, "Metrics").
pub const DEFAULT_RESAMPLES: usize = 1000;
/// Central level of the bootstrap intervals (90%; docs/SCIENCE.md, "Metrics").
pub const DEFAULT_LEVEL: f64 = 0.9;
/// Number of equal-width bins of the PIT histogram on `[0, 1]`.
pub const PIT_BINS: usize = 10;
/// Label of the random stream the bootstrap resamples are drawn from (derived from the seed).
const BOOTSTRAP_STREAM: u64 = 0xB007_5712;

/// What to evaluate: which prompts, how many, and how intervals are computed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvalConfig {
    /// The mixture the predictors were built for (the pretraining mixture); a predictor's
    /// `family_probs` index its components. Text form in reports.
    #[serde(with = "crate::tasks::mixture_text")]
    pub mixture: Mixture,
    /// The mixture the evaluation prompts are drawn from: `mixture` in distribution, another
    /// one (e.g. `convex(…)`, a sinusoid band outside the trained one) out of distribution.
    #[serde(with = "crate::tasks::mixture_text")]
    pub eval_mixture: Mixture,
    /// Input dimension `d`.
    pub d: usize,
    /// Active input coordinates (`d_eff <= d`; the rest are zero-padded).
    pub d_eff: usize,
    /// Points per prompt `n`: NSE(k) is reported for k = 0 … n − 1 context points.
    pub points: usize,
    /// Number of prompts (at least [`DEFAULT_PROMPTS`]; docs/SCIENCE.md, "Metrics").
    pub prompts: usize,
    /// Observation noise range of the prompts.
    pub noise: NoiseRange,
    /// Seed of the prompts and of the bootstrap resamples.
    pub seed: u64,
    /// Bootstrap resamples per interval.
    pub resamples: usize,
    /// Central level of the bootstrap intervals, in `(0, 1)`.
    pub level: f64,
}

impl EvalConfig {
    /// In-distribution evaluation of `mixture` in dimension `d` with `points` points per prompt,
    /// noiseless, seed 0, and the defaults of docs/SCIENCE.md ("Metrics") for everything else.
    pub fn new(mixture: Mixture, d: usize, points: usize) -> Self {
        Self {
            eval_mixture: mixture.clone(),
            mixture,
            d,
            d_eff: d,
            points,
            prompts: DEFAULT_PROMPTS,
            noise: NoiseRange::NONE,
            seed: 0,
            resamples: DEFAULT_RESAMPLES,
            level: DEFAULT_LEVEL,
        }
    }

    /// `E[y²]` of the evaluation prompts, the NSE normaliser: every family is scaled to
    /// `E[f(x)²] = 1` (docs/SCIENCE.md, "Inputs and noise"), and with `σ ~ U[lo, hi]` the noise
    /// adds `E[σ²] = (lo² + lo·hi + hi²) / 3`. Predicting 0 therefore has NSE 1 in expectation.
    pub fn y_second_moment(&self) -> f64 {
        let NoiseRange { lo, hi } = self.noise;
        1.0 + (lo * lo + lo * hi + hi * hi) / 3.0
    }
}

/// Metrics of one predictor. Entry `k` of every series is measured at the `(k+1)`-th point of
/// each prompt, predicted from the `k` points before it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PredictorReport {
    /// The predictor's [`Predictor::name`].
    pub name: String,
    /// `NSE(k)`: mean over prompts of `(ŷ − y)² / E[y²]` (`[points]`).
    pub nse: Vec<Estimate>,
    /// Mean negative log predictive density `−log p(y)` in nats (`[points]`), for predictors
    /// that return a distribution; an entry is `None` where some true `y` had zero density.
    pub nll: Option<Vec<Option<Estimate>>>,
    /// Fraction of `y` inside the central 50% predictive interval (`[points]`).
    pub coverage_50: Option<Vec<Estimate>>,
    /// Fraction of `y` inside the central 90% predictive interval (`[points]`).
    pub coverage_90: Option<Vec<Estimate>>,
    /// Histogram of the PIT values `F(y)` pooled over all positions and prompts: the fraction
    /// in each of [`PIT_BINS`] equal bins of `[0, 1]` (uniform, `1/PIT_BINS` each, when
    /// calibrated).
    pub pit_histogram: Option<Vec<f64>>,
    /// Mean probability the predictor gives the prompt's true family (`[points]`), where it
    /// reports family probabilities and the prompts' families belong to its mixture.
    pub true_family_prob: Option<Vec<Estimate>>,
}

/// A complete evaluation: its settings (seed included; in the JSON at the top level beside the
/// results) and one report per predictor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    /// What was evaluated.
    #[serde(flatten)]
    pub config: EvalConfig,
    /// The NSE normaliser `E[y²] = 1 + E[σ²]` under the evaluation prior.
    pub y_second_moment: f64,
    /// One report per predictor, in the order given.
    pub predictors: Vec<PredictorReport>,
}

/// A prepared evaluation: the sampled prompts and the bootstrap resamples, ready to score any
/// number of predictors on exactly the same prompts.
#[derive(Clone, Debug)]
pub struct Evaluation {
    config: EvalConfig,
    prompts: Vec<Prompt>,
    bootstrap: Bootstrap,
    /// For each component of `eval_mixture`, the index of the same family in `mixture`.
    true_family: Vec<Option<usize>>,
}

impl Evaluation {
    /// Samples `config.prompts` prompts (`Mixture::sample_prompts` with `config.seed`) and the
    /// bootstrap resamples.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for fewer than 2 prompts, no points, an invalid noise range,
    /// `d_eff` outside `1..=d`, families that do not fit `d_eff`, or bad bootstrap settings.
    pub fn new(config: EvalConfig) -> Result<Self> {
        if config.points == 0 || config.points > MAX_EVAL_POINTS {
            return invalid(format!("an evaluation needs 1..={MAX_EVAL_POINTS} points per prompt (got {})", config.points));
        }
        if config.d > crate::tasks::MAX_DIM {
            return invalid(format!("the input dimension must be in 1..={} (got {})", crate::tasks::MAX_DIM, config.d));
        }
        NoiseRange::new(config.noise.lo, config.noise.hi)?;
        config.mixture.validate(config.d_eff)?;
        let prompts = config.eval_mixture.sample_prompts(
            config.seed,
            config.prompts,
            config.d,
            config.d_eff,
            config.points,
            config.noise,
        )?;
        let boot_seed = SeededRng::new(config.seed).derive(BOOTSTRAP_STREAM).next_u64();
        let bootstrap = Bootstrap::new(config.prompts, config.resamples, config.level, boot_seed)?;
        let true_family = config
            .eval_mixture
            .components
            .iter()
            .map(|e| config.mixture.components.iter().position(|c| c.family == e.family))
            .collect();
        Ok(Self { config, prompts, bootstrap, true_family })
    }

    /// The settings.
    pub fn config(&self) -> &EvalConfig {
        &self.config
    }

    /// The evaluation prompts (`[prompts]`, each with `points` points).
    pub fn prompts(&self) -> &[Prompt] {
        &self.prompts
    }

    /// Runs `predictor` on every prompt and computes its metrics.
    ///
    /// # Errors
    /// Whatever the predictor returns; [`Error::Numerical`] when it returns the wrong number
    /// of predictions, a non-finite mean or a non-finite CDF value; [`Error::InvalidInput`]
    /// when its family probabilities do not have one entry per component of `mixture`.
    pub fn evaluate(&self, predictor: &dyn Predictor) -> Result<PredictorReport> {
        let name = predictor.name();
        let (n, points) = (self.prompts.len(), self.config.points);
        let normaliser = self.config.y_second_moment();
        let families = self.config.mixture.components.len();
        // Per-position, per-prompt values: [points][n].
        let mut sq_err = vec![vec![0.0; n]; points];
        let mut nll = vec![vec![0.0; n]; points];
        let mut pit = vec![vec![0.0; n]; points];
        let mut fam = vec![vec![0.0; n]; points];
        let (mut has_dist, mut has_fam) = (true, true);
        for (i, prompt) in self.prompts.iter().enumerate() {
            let preds = predictor.predict_prompt(prompt)?;
            if preds.len() != points {
                return Err(Error::Numerical(format!(
                    "{name} returned {} predictions for a prompt of {points} points",
                    preds.len()
                )));
            }
            let true_family = self.true_family[prompt.family];
            for (k, pred) in preds.iter().enumerate() {
                let y = prompt.ys[k];
                if !pred.mean.is_finite() {
                    return Err(Error::Numerical(format!("{name} predicted {} at k = {k} of prompt {i}", pred.mean)));
                }
                sq_err[k][i] = (pred.mean - y).powi(2) / normaliser;
                match &pred.distribution {
                    Some(dist) => {
                        nll[k][i] = -dist.log_density(y);
                        let u = dist.cdf(y);
                        if !u.is_finite() {
                            return Err(Error::Numerical(format!("{name}: CDF is {u} at k = {k} of prompt {i}")));
                        }
                        pit[k][i] = u.clamp(0.0, 1.0);
                    }
                    None => has_dist = false,
                }
                match (&pred.family_probs, true_family) {
                    (Some(probs), Some(j)) => {
                        if probs.len() != families {
                            return invalid(format!(
                                "{name} gave {} family probabilities for a mixture of {families} families",
                                probs.len()
                            ));
                        }
                        fam[k][i] = probs[j];
                    }
                    _ => has_fam = false,
                }
            }
        }
        let series = |values: &[Vec<f64>]| values.iter().map(|v| self.bootstrap.estimate(v)).collect::<Result<Vec<_>>>();
        let inside = |half_width: f64| -> Vec<Vec<f64>> {
            pit.iter().map(|u| u.iter().map(|u| f64::from(u8::from((u - 0.5).abs() < half_width))).collect()).collect()
        };
        Ok(PredictorReport {
            nse: series(&sq_err)?,
            nll: if has_dist {
                Some(
                    nll.iter()
                        .map(|v| if v.iter().all(|x| x.is_finite()) { self.bootstrap.estimate(v).map(Some) } else { Ok(None) })
                        .collect::<Result<_>>()?,
                )
            } else {
                None
            },
            // y lies inside the central interval of mass m exactly when |F(y) − 1/2| < m/2.
            coverage_50: if has_dist { Some(series(&inside(0.25))?) } else { None },
            coverage_90: if has_dist { Some(series(&inside(0.45))?) } else { None },
            pit_histogram: has_dist.then(|| pit_histogram(pit.iter().flatten().copied(), PIT_BINS)),
            true_family_prob: if has_fam { Some(series(&fam)?) } else { None },
            name,
        })
    }

    /// Assembles the report of predictor results computed with [`Evaluation::evaluate`].
    pub fn report(&self, predictors: Vec<PredictorReport>) -> EvalReport {
        EvalReport { config: self.config.clone(), y_second_moment: self.config.y_second_moment(), predictors }
    }
}

/// Evaluates every predictor on the same prompts.
///
/// # Errors
/// As [`Evaluation::new`] and [`Evaluation::evaluate`].
pub fn evaluate(config: EvalConfig, predictors: &[Box<dyn Predictor>]) -> Result<EvalReport> {
    let evaluation = Evaluation::new(config)?;
    let reports = predictors.iter().map(|p| evaluation.evaluate(p.as_ref())).collect::<Result<Vec<_>>>()?;
    Ok(evaluation.report(reports))
}

/// Fractions of `values` (in `[0, 1]`) falling in each of `bins` equal bins; 1 goes in the last.
fn pit_histogram(values: impl Iterator<Item = f64>, bins: usize) -> Vec<f64> {
    let mut counts = vec![0usize; bins];
    for u in values {
        counts[((u * bins as f64) as usize).min(bins - 1)] += 1;
    }
    let total = counts.iter().sum::<usize>().max(1) as f64;
    counts.iter().map(|&c| c as f64 / total).collect()
}

impl EvalReport {
    /// The NSE table: one row per `k`, one column per predictor, `mean [lo, hi]`.
    pub fn nse_table(&self) -> String {
        let cells: Vec<Vec<String>> = self
            .predictors
            .iter()
            .map(|p| p.nse.iter().map(|e| format!("{:.3} [{:.3}, {:.3}]", e.mean, e.lo, e.hi)).collect())
            .collect();
        let widths: Vec<usize> = self
            .predictors
            .iter()
            .zip(&cells)
            .map(|(p, col)| col.iter().map(String::len).chain([p.name.len()]).max().unwrap_or(0))
            .collect();
        let mut out = format!("{:>3}", "k");
        for (p, w) in self.predictors.iter().zip(&widths) {
            out += &format!("  {:>w$}", p.name);
        }
        out.push('\n');
        for k in 0..self.config.points {
            out += &format!("{k:>3}");
            for (col, w) in cells.iter().zip(&widths) {
                out += &format!("  {:>w$}", col[k]);
            }
            out.push('\n');
        }
        out
    }

    /// One summary line per predictor with a predictive distribution: NLL, coverage and
    /// true-family probability averaged over positions `k = 1 … n − 1` (the model cards' and
    /// quality targets' range: `k = 0` has no context and is the same for every predictor).
    pub fn distribution_summary(&self) -> String {
        let from = usize::from(self.config.points > 1);
        let avg = |s: &[Estimate]| s.iter().map(|e| e.mean).sum::<f64>() / s.len() as f64;
        let mut out = String::new();
        for p in &self.predictors {
            let (Some(nll), Some(c50), Some(c90)) = (&p.nll, &p.coverage_50, &p.coverage_90) else { continue };
            let nll = &nll[from..];
            let finite: Vec<Estimate> = nll.iter().flatten().copied().collect();
            let nll_text =
                if finite.len() == nll.len() { format!("{:.3}", avg(&finite)) } else { "inf".to_string() };
            out += &format!(
                "{}: mean over k = {from} … {} of NLL {nll_text}, coverage50 {:.3}, coverage90 {:.3}",
                p.name,
                self.config.points - 1,
                avg(&c50[from..]),
                avg(&c90[from..])
            );
            if let Some(fam) = &p.true_family_prob {
                out += &format!(", P(true family) {:.3}", avg(&fam[from..]));
            }
            out.push('\n');
        }
        out
    }
}
