//! Acceptance tests of the evaluation harness: the analytic NSE curves of docs/SCIENCE.md
//! ("Metrics") come out of it, the zero predictor scores 1, and an exact Gaussian predictor has
//! the closed-form NLL, coverage and a flat PIT histogram.

use incontext::eval::{EvalConfig, EvalReport, Evaluation, Estimate, PIT_BINS, evaluate, figures, resolve_predictor};
use incontext::predictive::{Distribution, GaussianMixture, Predictive, Predictor};
use incontext::tasks::{Context, Mixture, NoiseRange, Prompt, SampledFunction};
use incontext::{Error, Result};

/// Checks `truth` against an estimate's 90% interval widened to twice its width about its
/// centre. A 90% interval misses the truth one time in ten by design; these tests check ~40
/// intervals, so the plain interval would fail by chance. Twice the width is about ±3.3
/// standard errors for a near-normal mean (a miss probability of ~1e-3 per check), still
/// far tighter than any wrong formula tested here.
fn assert_covers(e: &Estimate, truth: f64, what: &str) {
    let slack = 0.5 * (e.hi - e.lo);
    assert!(
        e.lo - slack - 1e-9 <= truth && truth <= e.hi + slack + 1e-9,
        "{what}: truth {truth} outside widened interval of {e:?}"
    );
}

fn baselines(names: &[&str], mixture: &Mixture, noise: NoiseRange, d: usize) -> Vec<Box<dyn Predictor>> {
    names.iter().map(|n| resolve_predictor(n, mixture, noise, d).unwrap()).collect()
}

fn series<'a>(report: &'a EvalReport, name: &str) -> &'a incontext::eval::PredictorReport {
    report.predictors.iter().find(|p| p.name == name).unwrap_or_else(|| panic!("no predictor {name}"))
}

#[test]
fn least_squares_and_averaging_follow_their_closed_forms_on_noiseless_linear() {
    // linear, d = 5, noiseless: y = w·x with w ~ N(0, I/d), x ~ N(0, I).
    // Minimum-norm least squares from k < d points recovers the projection of w onto the span
    // of the k inputs; the error (P⊥w)·x has E = E|P⊥w|² = (d − k)/d, and 0 once k ≥ d.
    // Averaging ŵ = (1/k) Σ y_j x_j = S w with S = (1/k) Σ x_j x_jᵀ: the error is
    // E|(S − I)w|² = tr E[(S − I)²]/d. With E tr S = d and
    // E tr S² = (1/k²)[k·E|x|⁴ + k(k−1)·E(x_iᵀx_j)²] = (d² + 2d)/k + (k − 1)d/k,
    // tr E[(S − I)²] = (d² + d)/k, so NSE(k) = (d + 1)/k (a Python Monte Carlo of 60 000
    // prompts gave 6.13 ± 0.14, 3.03 ± 0.05, 2.03 ± 0.03, 1.21 ± 0.02, 0.669 ± 0.007 at
    // k = 1, 2, 3, 5, 9 against 6, 3, 2, 1.2, 0.667).
    let d = 5;
    let mixture = Mixture::parse("linear").unwrap();
    let config = EvalConfig::new(mixture.clone(), d, 2 * d + 1);
    let predictors = baselines(&["least_squares", "averaging"], &mixture, NoiseRange::NONE, d);
    let report = evaluate(config, &predictors).unwrap();
    assert_eq!(report.config.prompts, 1280);
    assert_eq!(report.y_second_moment, 1.0);
    for (k, e) in series(&report, "least_squares").nse.iter().enumerate() {
        let truth = (1.0 - k as f64 / d as f64).max(0.0);
        assert_covers(e, truth, &format!("least squares NSE({k})"));
        if k >= d {
            assert!(e.mean < 1e-12, "least squares interpolates exactly at k = {k}: {e:?}");
        }
    }
    let averaging = &series(&report, "averaging").nse;
    assert_covers(&averaging[0], 1.0, "averaging NSE(0)");
    for (k, e) in averaging.iter().enumerate().skip(1) {
        assert_covers(e, (d as f64 + 1.0) / k as f64, &format!("averaging NSE({k})"));
    }
}

#[test]
fn zero_predictor_scores_one_with_the_prior_second_moment() {
    // σ ~ U[0.2, 1.0]: E[σ²] = (0.04 + 0.2 + 1)/3, and every family has E[f²] = 1.
    let noise = NoiseRange::new(0.2, 1.0).unwrap();
    let mixture = Mixture::parse("linear(bias),relu_net(hidden=20),decision_tree(depth=3),sinusoid").unwrap();
    let config = EvalConfig { noise, seed: 3, ..EvalConfig::new(mixture.clone(), 3, 6) };
    assert!((config.y_second_moment() - (1.0 + 1.24 / 3.0)).abs() < 1e-12);
    let report = evaluate(config, &baselines(&["zero"], &mixture, noise, 3)).unwrap();
    let zero = series(&report, "zero");
    for (k, e) in zero.nse.iter().enumerate() {
        assert_covers(e, 1.0, &format!("zero NSE({k})"));
    }
    assert!(zero.nll.is_none() && zero.coverage_90.is_none() && zero.pit_histogram.is_none());
    assert!(zero.true_family_prob.is_none());
}

/// Knows each prompt's function and noise level: predicts `N(f(x_i), σ²)` at every position
/// and puts all family probability on the mixture's first component.
struct Oracle {
    families: usize,
}

impl Predictor for Oracle {
    fn name(&self) -> String {
        "oracle".into()
    }

    fn predict(&self, _context: &Context, _queries: &[f64]) -> Result<Vec<Predictive>> {
        Err(Error::InvalidInput("the oracle needs the whole prompt".into()))
    }

    fn predict_prompt(&self, prompt: &Prompt) -> Result<Vec<Predictive>> {
        let mut family_probs = vec![0.0; self.families];
        family_probs[0] = 1.0;
        Ok((0..prompt.len())
            .map(|i| {
                let mean = prompt.function.eval(prompt.x(i));
                Predictive {
                    mean,
                    distribution: Some(Distribution::Gaussian(GaussianMixture::gaussian(mean, prompt.noise_std))),
                    family_probs: Some(family_probs.clone()),
                }
            })
            .collect())
    }
}

#[test]
fn exact_gaussian_predictor_has_closed_form_nll_coverage_and_flat_pit() {
    let sigma = 0.5;
    let noise = NoiseRange::new(sigma, sigma).unwrap();
    let mixture = Mixture::parse("linear:0.3,sparse_linear(s=2):0.7").unwrap();
    let points = 5;
    let evaluation = Evaluation::new(EvalConfig { noise, seed: 9, ..EvalConfig::new(mixture, 4, points) }).unwrap();
    let r = evaluation.evaluate(&Oracle { families: 2 }).unwrap();
    // y − f(x) = σε: NSE = σ²/(1 + σ²); −log p(y) = ½ log(2πσ²) + ε²/2 has mean
    // ½ log(2πeσ²), the Gaussian entropy; F(y) = Φ(ε) is uniform.
    let entropy = 0.5 * (std::f64::consts::TAU * std::f64::consts::E * sigma * sigma).ln();
    for k in 0..points {
        assert_covers(&r.nse[k], sigma * sigma / (1.0 + sigma * sigma), &format!("oracle NSE({k})"));
        assert_covers(r.nll.as_ref().unwrap()[k].as_ref().unwrap(), entropy, &format!("oracle NLL({k})"));
        assert_covers(&r.coverage_50.as_ref().unwrap()[k], 0.5, &format!("coverage50({k})"));
        assert_covers(&r.coverage_90.as_ref().unwrap()[k], 0.9, &format!("coverage90({k})"));
    }
    // 1280 · 5 independent PIT values: each bin's fraction has sd sqrt(0.1·0.9/6400) = 0.0038.
    let pit = r.pit_histogram.as_ref().unwrap();
    assert_eq!(pit.len(), PIT_BINS);
    assert!((pit.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    assert!(pit.iter().all(|f| (f - 0.1).abs() < 0.015), "{pit:?}");
    // All belief on family 0 (linear): the mean true-family probability is the fraction of
    // linear prompts, exactly, and near the prior weight 0.3.
    let linear = evaluation.prompts().iter().filter(|p| p.family == 0).count() as f64 / 1280.0;
    for e in r.true_family_prob.as_ref().unwrap() {
        assert!((e.mean - linear).abs() < 1e-12, "{e:?} vs {linear}");
        assert_covers(e, 0.3, "P(true family)");
    }
}

#[test]
fn out_of_distribution_prompts_come_from_the_eval_mixture() {
    let mixture = Mixture::parse("linear,sinusoid").unwrap();
    let eval_mixture = Mixture::parse("convex(alpha=0.5,linear,sinusoid)").unwrap();
    let noise = NoiseRange::new(0.1, 0.1).unwrap();
    let config = EvalConfig { eval_mixture, noise, prompts: 64, ..EvalConfig::new(mixture, 2, 4) };
    let evaluation = Evaluation::new(config).unwrap();
    assert!(evaluation.prompts().iter().all(|p| matches!(p.function, SampledFunction::Convex { .. })));
    let report = evaluation.report(vec![evaluation.evaluate(&Oracle { families: 2 }).unwrap()]);
    assert_eq!(report.config.eval_mixture.to_string(), "convex(alpha=0.5,linear,sinusoid(omega_lo=0.5,omega_hi=2.5)):1");
    // The convex family is not in the predictor's mixture: no true-family probability.
    assert!(report.predictors[0].true_family_prob.is_none());
}

#[test]
fn same_seed_same_report_and_json_roundtrip() {
    let mixture = Mixture::parse("sparse_linear(s=2)").unwrap();
    let run = |seed| {
        let config = EvalConfig { seed, prompts: 100, ..EvalConfig::new(mixture.clone(), 4, 6) };
        evaluate(config, &baselines(&["least_squares", "lasso(alpha=0.01)"], &mixture, NoiseRange::NONE, 4)).unwrap()
    };
    let (a, b, c) = (run(7), run(7), run(8));
    assert_eq!(a, b);
    assert_ne!(a.predictors[0].nse, c.predictors[0].nse);
    assert_eq!(a.config.seed, 7);
    let json = serde_json::to_string(&a).unwrap();
    // The settings sit at the top level beside the results, mixtures in their text form.
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["mixture"], a.config.mixture.to_string());
    assert_eq!((value["seed"].as_u64(), value["prompts"].as_u64(), value["d"].as_u64()), (Some(7), Some(100), Some(4)));
    assert_eq!(serde_json::from_str::<EvalReport>(&json).unwrap(), a);
}

#[test]
fn figures_are_svg_with_text_labels() {
    let mixture = Mixture::parse("linear:0.5,sparse_linear(s=2):0.5").unwrap();
    let noise = NoiseRange::new(0.5, 0.5).unwrap();
    let evaluation = Evaluation::new(EvalConfig { noise, prompts: 50, ..EvalConfig::new(mixture.clone(), 3, 5) }).unwrap();
    let reports = vec![
        evaluation.evaluate(resolve_predictor("least_squares", &mixture, noise, 3).unwrap().as_ref()).unwrap(),
        evaluation.evaluate(&Oracle { families: 2 }).unwrap(),
    ];
    let report = evaluation.report(reports);
    let figs = figures(&report).unwrap();
    let names: Vec<&str> = figs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["nse.svg", "nll.svg", "coverage_50.svg", "coverage_90.svg", "pit.svg", "family.svg"]);
    let (_, nse) = &figs[0];
    assert!(nse.starts_with("<svg") && nse.trim_end().ends_with("</svg>"));
    for label in ["NSE(k)", "least_squares", "oracle", "k (context points)"] {
        assert!(nse.contains(label), "nse.svg lacks the text '{label}'");
    }
    // Only the oracle has a distribution, so only it appears in the PIT figure.
    let (_, pit) = &figs[4];
    assert!(pit.contains("oracle") && !pit.contains("least_squares"));
    // The table has one row per k and one column per predictor.
    let table = report.nse_table();
    assert_eq!(table.lines().count(), 1 + 5);
    assert!(table.lines().next().unwrap().contains("least_squares"));
}

/// Returns a fixed number of predictions, or family probabilities of a fixed length.
struct Broken {
    predictions: usize,
    families: usize,
}

impl Predictor for Broken {
    fn name(&self) -> String {
        "broken".into()
    }

    fn predict(&self, _context: &Context, _queries: &[f64]) -> Result<Vec<Predictive>> {
        Err(Error::InvalidInput("unused".into()))
    }

    fn predict_prompt(&self, _prompt: &Prompt) -> Result<Vec<Predictive>> {
        let p = Predictive { mean: 0.0, distribution: None, family_probs: Some(vec![1.0 / self.families as f64; self.families]) };
        Ok(vec![p; self.predictions])
    }
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let mixture = Mixture::parse("linear").unwrap();
    let base = EvalConfig { prompts: 20, ..EvalConfig::new(mixture.clone(), 3, 4) };
    for bad in [
        EvalConfig { prompts: 1, ..base.clone() },
        EvalConfig { points: 0, ..base.clone() },
        EvalConfig { d_eff: 4, ..base.clone() },
        EvalConfig { resamples: 0, ..base.clone() },
        EvalConfig { level: 1.5, ..base.clone() },
        EvalConfig { noise: NoiseRange { lo: 1.0, hi: 0.5 }, ..base.clone() },
        EvalConfig { mixture: Mixture::parse("sparse_linear(s=3)").unwrap(), d_eff: 2, ..base.clone() },
    ] {
        assert!(matches!(Evaluation::new(bad), Err(Error::InvalidInput(_))));
    }
    let evaluation = Evaluation::new(base).unwrap();
    assert!(matches!(evaluation.evaluate(&Broken { predictions: 3, families: 1 }), Err(Error::Numerical(_))));
    assert!(matches!(evaluation.evaluate(&Broken { predictions: 4, families: 2 }), Err(Error::InvalidInput(_))));
    assert!(evaluation.evaluate(&Broken { predictions: 4, families: 1 }).is_ok());
    assert!(resolve_predictor("no_such_predictor", &mixture, NoiseRange::NONE, 3).is_err());
    assert!(incontext::eval::split_predictor_list("least_squares,,bayes").is_err());
    assert!(incontext::eval::split_predictor_list("lasso(alpha=0.01").is_err());
    assert_eq!(
        incontext::eval::split_predictor_list("least_squares, lasso(alpha=0.01), bayes").unwrap(),
        ["least_squares", "lasso(alpha=0.01)", "bayes"]
    );
}
