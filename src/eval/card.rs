//! Model cards (`www/models/<name>.md`): what a shipped model was trained on, how to reproduce
//! it, its loss curve, and how close it comes to the exact Bayes posterior in distribution and
//! how it fails out of distribution (docs/SCIENCE.md, "Metrics", and its quality targets).

use super::bootstrap::Estimate;
use super::harness::{EvalReport, PredictorReport};
use super::plot::{Series, index_chart};
use crate::error::{Result, invalid};
use crate::tasks::{FamilySpec, Mixture};
use std::fmt::Write;

/// Training-log rows read from the trainer's CSV (`step,loss,…,seconds`).
#[derive(Clone, Debug, PartialEq)]
pub struct TrainingLog {
    /// Optimiser step of each row, increasing.
    pub steps: Vec<u64>,
    /// Training loss (bar NLL + weighted family cross-entropy), nats.
    pub loss: Vec<f64>,
    /// Wall-clock seconds since the run started (resumed runs continue the count).
    pub seconds: Vec<f64>,
}

impl TrainingLog {
    /// Parses the CSV log. A resumed run logs again the steps after its checkpoint, so for a
    /// repeated step the later row wins and rows are ordered by step.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] for a missing `step`, `loss` or `seconds` column, an
    /// unparsable number, or no rows.
    pub fn parse_csv(text: &str) -> Result<Self> {
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let header: Vec<&str> = lines.next().unwrap_or("").split(',').map(str::trim).collect();
        let column = |name: &str| {
            header.iter().position(|h| *h == name).ok_or_else(|| {
                crate::Error::InvalidInput(format!("training log has no '{name}' column (header: {header:?})"))
            })
        };
        let (step_col, loss_col, secs_col) = (column("step")?, column("loss")?, column("seconds")?);
        let mut rows = std::collections::BTreeMap::new();
        for (i, line) in lines.enumerate() {
            let cells: Vec<&str> = line.split(',').map(str::trim).collect();
            let cell = |c: usize| {
                cells.get(c).and_then(|v| v.parse::<f64>().ok()).ok_or_else(|| {
                    crate::Error::InvalidInput(format!("training log row {}: bad value in '{line}'", i + 2))
                })
            };
            rows.insert(cell(step_col)? as u64, (cell(loss_col)?, cell(secs_col)?));
        }
        if rows.is_empty() {
            return invalid("training log has no rows");
        }
        Ok(Self {
            steps: rows.keys().copied().collect(),
            loss: rows.values().map(|r| r.0).collect(),
            seconds: rows.values().map(|r| r.1).collect(),
        })
    }

    /// Wall-clock seconds of the whole run (last row).
    pub fn wall_seconds(&self) -> f64 {
        self.seconds.last().copied().unwrap_or(0.0)
    }

    /// SVG of the loss: a `window`-step moving average with its min–max band.
    ///
    /// # Errors
    /// [`crate::Error::Format`] if drawing fails.
    pub fn loss_curve_svg(&self, title: &str, window: usize) -> Result<String> {
        let window = window.max(1);
        let smoothed: Vec<Option<Estimate>> = self
            .loss
            .chunks(window)
            .map(|chunk| {
                let mean = chunk.iter().sum::<f64>() / chunk.len() as f64;
                let lo = chunk.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = chunk.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                Some(Estimate { mean, lo, hi })
            })
            .collect();
        let values = || smoothed.iter().flatten().map(|e| e.mean);
        let (lo, hi) = (values().fold(f64::INFINITY, f64::min), values().fold(f64::NEG_INFINITY, f64::max));
        let pad = 0.1 * (hi - lo).max(0.1);
        let series: Vec<Series> = vec![(format!("loss, mean of {window} steps"), smoothed)];
        index_chart(title, &format!("steps / {window}"), "training loss (nats)", &series, (lo - pad, hi + pad), None)
    }
}

/// One predictor's metrics averaged over `k = 1 … n−1` (every context size but the empty one).
#[derive(Clone, Debug, PartialEq)]
pub struct Averages {
    pub nse: f64,
    pub nll: Option<f64>,
    pub coverage_90: Option<f64>,
    pub true_family_prob: Option<f64>,
}

fn mean_from_one(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let v: Vec<Option<f64>> = values.skip(1).collect();
    if v.is_empty() || v.iter().any(Option::is_none) {
        return None;
    }
    Some(v.iter().flatten().sum::<f64>() / v.len() as f64)
}

impl Averages {
    /// Averages of one predictor's report.
    pub fn of(report: &PredictorReport) -> Self {
        Self {
            nse: mean_from_one(report.nse.iter().map(|e| Some(e.mean))).unwrap_or(f64::NAN),
            nll: report.nll.as_ref().and_then(|v| mean_from_one(v.iter().map(|e| e.map(|e| e.mean)))),
            coverage_90: report.coverage_90.as_ref().and_then(|v| mean_from_one(v.iter().map(|e| Some(e.mean)))),
            true_family_prob: report.true_family_prob.as_ref().and_then(|v| mean_from_one(v.iter().map(|e| Some(e.mean)))),
        }
    }
}

/// The predictor of `report` whose name starts with `prefix`.
///
/// # Errors
/// [`crate::Error::InvalidInput`] if there is none.
pub fn find<'a>(report: &'a EvalReport, prefix: &str) -> Result<&'a PredictorReport> {
    report.predictors.iter().find(|p| p.name.starts_with(prefix)).ok_or_else(|| {
        crate::Error::InvalidInput(format!("report on {} has no predictor '{prefix}…'", report.config.eval_mixture))
    })
}

/// The out-of-distribution evaluations shown for a model pretrained on `mixture`: each demo
/// family (`linear(bias)`, `sinusoid` on [0.5, 2.5]) the mixture lacks; convex combinations
/// `α f1 + (1−α) f2` (α = 0.25, 0.5, 0.75) of its first two families; and, when it holds a
/// sinusoid, frequencies below and above its band. Returns `(label, family spec)` pairs.
pub fn out_of_distribution_families(mixture: &Mixture) -> Vec<(String, FamilySpec)> {
    let mut out = Vec::new();
    let families: Vec<&FamilySpec> = mixture.components.iter().map(|c| &c.family).collect();
    for demo in [FamilySpec::Linear { bias: true }, FamilySpec::Sinusoid { omega_lo: 0.5, omega_hi: 2.5 }] {
        if !families.iter().any(|f| f.name() == demo.name()) {
            out.push((format!("{demo} (family not in pretraining)"), demo));
        }
    }
    if let [first, second, ..] = families.as_slice() {
        for alpha in [0.25, 0.5, 0.75] {
            let spec = FamilySpec::Convex { alpha, first: Box::new((*first).clone()), second: Box::new((*second).clone()) };
            out.push((format!("convex α = {alpha}: {alpha}·{} + {}·{}", first.name(), 1.0 - alpha, second.name()), spec));
        }
    }
    for family in &families {
        if let FamilySpec::Sinusoid { omega_lo, omega_hi } = family {
            let below = FamilySpec::Sinusoid { omega_lo: omega_lo * 0.1, omega_hi: omega_lo * 0.5 };
            let above = FamilySpec::Sinusoid { omega_lo: omega_hi * 1.4, omega_hi: omega_hi * 2.0 };
            out.push((format!("sinusoid below the band, ω ∈ [{}, {}]", omega_lo * 0.1, omega_lo * 0.5), below));
            out.push((format!("sinusoid above the band, ω ∈ [{}, {}]", omega_hi * 1.4, omega_hi * 2.0), above));
        }
    }
    out
}

/// Everything a card shows.
pub struct CardInputs<'a> {
    /// Model name (file stem).
    pub name: &'a str,
    /// Pretraining mixture, noise, architecture: the model's metadata.
    pub meta: &'a crate::model::ModelMeta,
    /// Number of parameters.
    pub parameters: usize,
    /// The exact commands that produced the weights.
    pub train_commands: &'a [String],
    /// The command that regenerates this card.
    pub card_command: &'a str,
    /// The training log.
    pub log: &'a TrainingLog,
    /// File name of the loss-curve SVG, relative to the card.
    pub loss_svg: &'a str,
    /// In-distribution reports: the whole mixture first, then one per family.
    pub in_distribution: &'a [EvalReport],
    /// Out-of-distribution reports with their labels.
    pub out_of_distribution: &'a [(String, EvalReport)],
    /// In-distribution reports of the whole mixture with the noise σ restricted to each third
    /// of the pretraining range (low, middle, high); empty for a noiseless prior.
    pub noise_levels: &'a [EvalReport],
}

/// The quality targets of a shipped model against the exact Bayes posterior (model v2): NLL gap,
/// relative NSE gap, distance of P(true family), and the band 90% coverage must fall in.
const TARGET_NLL_GAP: f64 = 0.1;
const TARGET_NSE_RELATIVE: f64 = 0.1;
const TARGET_FAMILY_GAP: f64 = 0.05;
const TARGET_COVERAGE_90: std::ops::RangeInclusive<f64> = 0.85..=0.95;

fn fmt_opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "—".to_string(), |v| format!("{v:.digits$}"))
}

fn check(ok: bool) -> &'static str {
    if ok { "yes" } else { "**no**" }
}

/// Renders the card as Markdown. The model's predictor name starts with `transformer`, the
/// reference with `bayes`.
///
/// # Errors
/// [`crate::Error::InvalidInput`] if a report lacks the model or the Bayes posterior.
pub fn card_markdown(c: &CardInputs) -> Result<String> {
    let m = c.meta;
    let cfg = &m.config;
    let mut s = String::new();
    let w = &mut s;
    let _ = writeln!(w, "# Model card: `{}`\n", c.name);
    let _ = writeln!(
        w,
        "Pretraining mixture `{}`, noise σ ~ U[{}, {}], x ~ N(0, I_{}), up to {} points per prompt \
         ({} in context + the query).\n",
        m.mixture,
        m.noise.lo,
        m.noise.hi,
        cfg.n_dims,
        cfg.max_points,
        cfg.max_points - 1
    );
    let _ = writeln!(
        w,
        "Architecture: GPT-2 backbone, {} layers, {} wide, {} heads, bar distribution with {} bins, \
         family head over {:?}; {} parameters. Trained {} steps from seed {} (preset `{}`) in {:.1} min \
         of wall-clock time on a shared 2-core CPU.\n",
        cfg.n_layer,
        cfg.n_embd,
        cfg.n_head,
        cfg.bins,
        cfg.families,
        c.parameters,
        m.training_steps,
        m.seed,
        m.preset,
        c.log.wall_seconds() / 60.0
    );
    let _ = writeln!(w, "## Reproduce\n\n```sh");
    for cmd in c.train_commands {
        let _ = writeln!(w, "{cmd}");
    }
    let _ = writeln!(w, "{}\n```\n", c.card_command);
    let _ = writeln!(w, "## Training loss\n\n![training loss]({})\n", c.loss_svg);

    let first = c.in_distribution.first().ok_or_else(|| crate::Error::InvalidInput("no in-distribution report".into()))?;
    let _ = writeln!(
        w,
        "## In distribution\n\nAverages over k = 1 … {} context points, {} fresh prompts per row (seed {}), \
         against the exact Bayes posterior of the pretraining prior (known noise range). Targets: \
         NLL gap ≤ {TARGET_NLL_GAP} nats, NSE within {:.0}% of Bayes (relative), P(true family) within \
         {TARGET_FAMILY_GAP} of Bayes, 90% coverage in [{:.2}, {:.2}] (here and within each third of the noise \
         range, below). The NLL floor is the Bayes posterior projected onto the \
         model's {} bins, the lowest NLL any bar distribution on these borders reaches: the gap \
         to Bayes above the floor is the bins' resolution (only more or narrower bins close it), the \
         gap to the floor is what training can still close.\n",
        first.config.points - 1,
        first.config.prompts,
        first.config.seed,
        100.0 * TARGET_NSE_RELATIVE,
        TARGET_COVERAGE_90.start(),
        TARGET_COVERAGE_90.end(),
        cfg.bins
    );
    let _ = writeln!(
        w,
        "| prompts from | NSE model | NSE Bayes | gap (rel.) | NLL model | NLL Bayes | gap | NLL floor | gap to floor | P(true) model | P(true) Bayes | 90% cov. model | targets met |"
    );
    let _ = writeln!(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for report in c.in_distribution {
        let (t, b) = (Averages::of(find(report, "transformer")?), Averages::of(find(report, "bayes")?));
        let floor = Averages::of(find(report, "bar_floor")?).nll;
        let nse_gap = t.nse - b.nse;
        let nll_gap = t.nll.zip(b.nll).map(|(t, b)| t - b);
        let fam_gap = t.true_family_prob.zip(b.true_family_prob).map(|(t, b)| (t - b).abs());
        let met = nse_gap <= TARGET_NSE_RELATIVE * b.nse.max(1e-12)
            && nll_gap.is_some_and(|g| g <= TARGET_NLL_GAP)
            && fam_gap.is_none_or(|g| g <= TARGET_FAMILY_GAP)
            && t.coverage_90.is_some_and(|c| TARGET_COVERAGE_90.contains(&c));
        let _ = writeln!(
            w,
            "| `{}` | {:.4} | {:.4} | {:+.4} ({:+.0}%) | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            report.config.eval_mixture,
            t.nse,
            b.nse,
            nse_gap,
            100.0 * nse_gap / b.nse.max(1e-12),
            fmt_opt(t.nll, 3),
            fmt_opt(b.nll, 3),
            nll_gap.map_or("—".into(), |g| format!("{g:+.3}")),
            fmt_opt(floor, 3),
            t.nll.zip(floor).map_or("—".into(), |(t, f)| format!("{:+.3}", t - f)),
            fmt_opt(t.true_family_prob, 3),
            fmt_opt(b.true_family_prob, 3),
            fmt_opt(t.coverage_90, 3),
            check(met)
        );
    }

    if !c.noise_levels.is_empty() {
        let _ = writeln!(
            w,
            "\n### Calibration per noise level\n\nPrompts from the whole mixture with σ drawn from one third of \
             the pretraining range each; a model that infers σ from its context keeps 90% coverage in \
             [{:.2}, {:.2}] in every third, one that predicts an average width covers too much at small σ and too \
             little at large σ.\n",
            TARGET_COVERAGE_90.start(),
            TARGET_COVERAGE_90.end()
        );
        let _ = writeln!(w, "| σ | NSE model | NSE Bayes | NLL model | NLL Bayes | gap | 90% cov. model | 90% cov. Bayes | in band |");
        let _ = writeln!(w, "|---|---|---|---|---|---|---|---|---|");
        for report in c.noise_levels {
            let (t, b) = (Averages::of(find(report, "transformer")?), Averages::of(find(report, "bayes")?));
            let _ = writeln!(
                w,
                "| U[{:.3}, {:.3}] | {:.4} | {:.4} | {} | {} | {} | {} | {} | {} |",
                report.config.noise.lo,
                report.config.noise.hi,
                t.nse,
                b.nse,
                fmt_opt(t.nll, 3),
                fmt_opt(b.nll, 3),
                t.nll.zip(b.nll).map_or("—".into(), |(t, b)| format!("{:+.3}", t - b)),
                fmt_opt(t.coverage_90, 3),
                fmt_opt(b.coverage_90, 3),
                check(t.coverage_90.is_some_and(|c| TARGET_COVERAGE_90.contains(&c)))
            );
        }
    }

    let (t, b) = (find(first, "transformer")?, find(first, "bayes")?);
    let _ = writeln!(w, "\n### Per k, prompts from the whole mixture\n");
    let _ = writeln!(w, "| k | NSE model [90% CI] | NSE Bayes | NLL model | NLL Bayes | P(true) model | P(true) Bayes | 90% cov. model |");
    let _ = writeln!(w, "|---|---|---|---|---|---|---|---|");
    let nll_at = |r: &PredictorReport, k: usize| r.nll.as_ref().and_then(|v| v[k]).map(|e| e.mean);
    let fam_at = |r: &PredictorReport, k: usize| r.true_family_prob.as_ref().map(|v| v[k].mean);
    for k in 0..first.config.points {
        let _ = writeln!(
            w,
            "| {k} | {:.4} [{:.4}, {:.4}] | {:.4} | {} | {} | {} | {} | {} |",
            t.nse[k].mean,
            t.nse[k].lo,
            t.nse[k].hi,
            b.nse[k].mean,
            fmt_opt(nll_at(t, k), 3),
            fmt_opt(nll_at(b, k), 3),
            fmt_opt(fam_at(t, k), 3),
            fmt_opt(fam_at(b, k), 3),
            fmt_opt(t.coverage_90.as_ref().map(|v| v[k].mean), 3)
        );
    }

    if !c.out_of_distribution.is_empty() {
        let _ = writeln!(
            w,
            "\n## Out of distribution (shown, not fixed)\n\nAverages over k = 1 … {}; the Bayes column is the \
             posterior of the *pretraining* prior, which is just as misspecified here.\n",
            first.config.points - 1
        );
        let _ = writeln!(w, "| prompts from | NSE model | NSE Bayes (pretraining prior) | NSE least squares | NSE 3-NN | 90% cov. model |");
        let _ = writeln!(w, "|---|---|---|---|---|---|");
        for (label, report) in c.out_of_distribution {
            let avg = |prefix: &str| find(report, prefix).map(Averages::of);
            let t = avg("transformer")?;
            let _ = writeln!(
                w,
                "| {label} | {:.4} | {:.4} | {:.4} | {:.4} | {} |",
                t.nse,
                avg("bayes")?.nse,
                avg("least_squares")?.nse,
                avg("knn")?.nse,
                fmt_opt(t.coverage_90, 3)
            );
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resumed_log_rows_replace_the_earlier_run() {
        let log = TrainingLog::parse_csv("step,loss,lr,seconds\n1,2.0,0.1,1.0\n2,1.5,0.1,2.0\n3,9.0,0.1,3.0\n3,1.2,0.1,3.5\n4,1.0,0.1,4.0\n")
            .unwrap();
        assert_eq!(log.steps, vec![1, 2, 3, 4]);
        assert_eq!(log.loss, vec![2.0, 1.5, 1.2, 1.0]);
        assert_eq!(log.wall_seconds(), 4.0);
        assert!(TrainingLog::parse_csv("step,loss\n1,2\n").is_err());
        assert!(TrainingLog::parse_csv("step,loss,seconds\n1,x,2\n").is_err());
        let svg = log.loss_curve_svg("loss", 2).unwrap();
        assert!(svg.contains("<svg") && svg.contains("training loss"));
    }

    #[test]
    fn averages_skip_the_empty_context() {
        let e = |mean: f64| Estimate { mean, lo: mean, hi: mean };
        let report = PredictorReport {
            name: "transformer:x".into(),
            nse: vec![e(1.0), e(0.5), e(0.3)],
            nll: Some(vec![Some(e(1.0)), Some(e(0.2)), Some(e(0.4))]),
            coverage_50: None,
            coverage_90: Some(vec![e(0.0), e(0.8), e(0.9)]),
            pit_histogram: None,
            true_family_prob: None,
        };
        let a = Averages::of(&report);
        assert!((a.nse - 0.4).abs() < 1e-12);
        assert!((a.nll.unwrap() - 0.3).abs() < 1e-12);
        assert!((a.coverage_90.unwrap() - 0.85).abs() < 1e-12);
        assert_eq!(a.true_family_prob, None);
    }

    #[test]
    fn ood_families_cover_missing_families_convex_mixtures_and_both_sides_of_the_band() {
        let both = Mixture::parse("linear(bias),sinusoid(omega_lo=0.5,omega_hi=2.5)").unwrap();
        let labels: Vec<String> = out_of_distribution_families(&both).into_iter().map(|(l, _)| l).collect();
        assert_eq!(labels.len(), 5, "{labels:?}");
        let only_linear = Mixture::parse("linear(bias)").unwrap();
        let ood = out_of_distribution_families(&only_linear);
        assert_eq!(ood.len(), 1);
        assert_eq!(ood[0].1.name(), "sinusoid");
    }
}
