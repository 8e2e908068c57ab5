//! Function families and prompt sampling against docs/SCIENCE.md ("Function families"): unit
//! variance of every family, reproducibility, tree split coverage, sparsity, closed-form scales,
//! and input validation.

use incontext::Error;
use incontext::tasks::{Context, FamilySpec, MAX_DIM, MAX_HIDDEN, Mixture, NoiseRange, SampledFunction, SeededRng};

/// Monte-Carlo `E[y²]` over fresh functions and inputs, with its standard error.
fn second_moment(spec: &FamilySpec, d: usize, functions: usize, points: usize) -> (f64, f64) {
    let mixture = Mixture::single(spec.clone());
    let prompts = mixture.sample_prompts(2024, functions, d, d, points, NoiseRange::NONE).unwrap();
    // Average per function first: y values within one function are correlated.
    let per_fn: Vec<f64> = prompts.iter().map(|p| p.ys.iter().map(|y| y * y).sum::<f64>() / points as f64).collect();
    let mean = per_fn.iter().sum::<f64>() / functions as f64;
    let var = per_fn.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (functions - 1) as f64;
    (mean, (var / functions as f64).sqrt())
}

#[test]
fn every_family_has_unit_second_moment() {
    let families = [
        "linear",
        "linear(bias)",
        "sparse_linear(s=2)",
        "relu_net",
        "relu_net(bias)",
        "decision_tree(depth=3)",
        "decision_tree(depth=4,gaussian_thresholds)",
        "sinusoid(omega_lo=0.5,omega_hi=2.5)",
        "convex(alpha=0.3,linear,sinusoid)",
    ];
    for d in [1, 5] {
        for text in families {
            let spec = FamilySpec::parse(text).unwrap();
            if spec.validate(d).is_err() {
                continue; // sparse_linear(s=2) needs d >= 2
            }
            let (m, se) = second_moment(&spec, d, 4000, 32);
            assert!((m - 1.0).abs() < 4.0 * se + 0.01, "{text}, d={d}: E[y²] = {m} ± {se}");
        }
    }
}

#[test]
fn relu_scale_matches_monte_carlo_of_the_unscaled_net() {
    // The stored constant 1/sqrt(d + bias) against a direct Monte-Carlo estimate of the
    // unscaled net's second moment E[(sqrt(2/h) ReLU(xW1 + b1) W2)²].
    let (d, h) = (3usize, 100usize);
    let mut rng = SeededRng::new(77);
    let mut acc = 0.0;
    let trials = 3000;
    for _ in 0..trials {
        let mut w1 = vec![0.0; d * h];
        let mut b1 = vec![0.0; h];
        let mut w2 = vec![0.0; h];
        let mut x = vec![0.0; d];
        rng.fill_normal(&mut w1);
        rng.fill_normal(&mut b1);
        rng.fill_normal(&mut w2);
        rng.fill_normal(&mut x);
        let unscaled = SampledFunction::ReluNet { w1, b1, w2, scale: (2.0 / h as f64).sqrt() };
        acc += unscaled.eval(&x).powi(2);
    }
    let moment = acc / trials as f64;
    let spec_scale = match FamilySpec::parse("relu_net(bias)").unwrap().sample(d, &mut rng).unwrap() {
        SampledFunction::ReluNet { scale, .. } => scale / (2.0 / h as f64).sqrt(),
        other => panic!("{other:?}"),
    };
    assert!((spec_scale - 1.0 / (d as f64 + 1.0).sqrt()).abs() < 1e-12);
    assert!((moment * spec_scale * spec_scale - 1.0).abs() < 0.08, "scaled moment {}", moment * spec_scale * spec_scale);
}

#[test]
fn same_seed_gives_identical_prompts_and_different_seeds_differ() {
    let mixture = Mixture::parse("linear(bias):1,sinusoid:1,relu_net(bias):1,decision_tree(depth=3,gaussian_thresholds):1").unwrap();
    let noise = NoiseRange::new(0.01, 0.2).unwrap();
    let a = mixture.sample_prompts(42, 50, 3, 2, 20, noise).unwrap();
    let b = mixture.sample_prompts(42, 50, 3, 2, 20, noise).unwrap();
    let c = mixture.sample_prompts(43, 50, 3, 2, 20, noise).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
    // Zero padding beyond d_eff, and all families drawn.
    for p in &a {
        for i in 0..p.len() {
            assert_eq!(p.x(i)[2], 0.0);
        }
    }
    let mut seen = [false; 4];
    a.iter().for_each(|p| seen[p.family] = true);
    assert!(seen.iter().all(|s| *s));
}

#[test]
fn every_coordinate_can_be_a_tree_split_variable() {
    let spec = FamilySpec::parse("decision_tree(depth=4)").unwrap();
    let d = 5;
    let mut counts = vec![0usize; d];
    let mut rng = SeededRng::new(9);
    for _ in 0..400 {
        match spec.sample(d, &mut rng).unwrap() {
            SampledFunction::DecisionTree { split_coords, .. } => split_coords.iter().for_each(|&c| counts[c] += 1),
            other => panic!("{other:?}"),
        }
    }
    let total: usize = counts.iter().sum();
    for c in counts {
        // Uniform: each coordinate gets 1/5 of 6000 splits; 5 standard deviations ≈ 150.
        assert!((c as f64 - total as f64 / d as f64).abs() < 150.0, "{c} of {total}");
    }
}

#[test]
fn sparse_supports_have_exactly_s_nonzeros_spread_over_all_coordinates() {
    let mut rng = SeededRng::new(5);
    let mut hits = [0usize; 6];
    let mut offsets = 0usize;
    for (s, bias) in (1..=6).flat_map(|s| [(s, false), (s, true)]) {
        let spec = FamilySpec::SparseLinear { s, bias };
        for _ in 0..200 {
            match spec.sample(6, &mut rng).unwrap() {
                SampledFunction::Linear { w, b, scale } => {
                    assert_eq!(w.iter().filter(|v| **v != 0.0).count(), s);
                    assert_eq!(b != 0.0, bias, "b = {b}");
                    offsets += usize::from(b.abs() > 1.0);
                    assert!((scale - 1.0 / ((s + usize::from(bias)) as f64).sqrt()).abs() < 1e-15);
                    w.iter().enumerate().filter(|(_, v)| **v != 0.0).for_each(|(i, _)| hits[i] += 1);
                }
                other => panic!("{other:?}"),
            }
        }
    }
    assert!(hits.iter().all(|&h| h > 600), "{hits:?}");
    // b ~ N(0, 1): P(|b| > 1) = 0.3173; 1200 draws, 5 standard deviations ≈ 80.
    assert!((offsets as f64 - 0.3173 * 1200.0).abs() < 80.0, "{offsets} of 1200 offsets beyond ±1");
}

#[test]
fn sinusoid_frequency_lies_in_band_and_direction_is_unit() {
    let spec = FamilySpec::parse("sinusoid(omega_lo=1,omega_hi=1.5)").unwrap();
    let mut rng = SeededRng::new(3);
    for _ in 0..100 {
        match spec.sample(4, &mut rng).unwrap() {
            SampledFunction::Sinusoid { omega, u, .. } => {
                assert!((1.0..1.5).contains(&omega));
                assert!((u.iter().map(|v| v * v).sum::<f64>() - 1.0).abs() < 1e-12);
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn noise_has_the_drawn_standard_deviation() {
    let mixture = Mixture::parse("linear").unwrap();
    let noisy = mixture.sample_prompts(8, 300, 2, 2, 50, NoiseRange::new(0.5, 0.5).unwrap()).unwrap();
    let mut sq = 0.0;
    let mut count = 0.0;
    for p in &noisy {
        assert_eq!(p.noise_std, 0.5);
        for i in 0..p.len() {
            sq += (p.ys[i] - p.function.eval(p.x(i))).powi(2);
            count += 1.0;
        }
    }
    assert!((sq / count - 0.25).abs() < 0.01, "{}", sq / count);
}

#[test]
fn bad_mixtures_and_shapes_are_errors_not_panics() {
    let bad = |text: &str| matches!(Mixture::parse(text), Err(Error::InvalidInput(_)));
    assert!(bad(""), "empty mixture");
    assert!(bad("linear:-1"), "negative weight");
    assert!(bad("linear:0"), "weights sum to zero");
    assert!(bad("linear:nan"), "NaN weight");
    assert!(bad("quadratic"), "unknown family");
    assert!(bad("linear:1:2"), "two weights");
    let Err(Error::InvalidInput(msg)) = Mixture::parse("linear,") else { panic!("a trailing ',' must be refused") };
    assert!(msg.contains("empty item"), "{msg}");
    let m = Mixture::parse("sparse_linear(s=3)").unwrap();
    let mut rng = SeededRng::new(0);
    assert!(m.sample_prompt(5, 2, 10, NoiseRange::NONE, &mut rng).is_err(), "s > d_eff");
    assert!(m.sample_prompt(2, 3, 10, NoiseRange::NONE, &mut rng).is_err(), "d_eff > d");
    assert!(NoiseRange::new(0.3, 0.1).is_err());
    assert!(NoiseRange::new(f64::INFINITY, 1.0).is_err());
    assert!(NoiseRange::new(0.0, 1e300).is_err(), "σ beyond MAX_SIGMA");
    assert!(NoiseRange::new(0.0, NoiseRange::MAX_SIGMA).is_ok());
    // Sizes that would exhaust memory are refused up front, with the bound in the message.
    assert!(Mixture::parse("relu_net(hidden=1000000000000)").is_err(), "beyond u32 at parse");
    let wide = Mixture::parse(&format!("relu_net(hidden={})", MAX_HIDDEN + 1)).unwrap();
    let Err(Error::InvalidInput(msg)) = wide.sample_prompt(2, 2, 3, NoiseRange::NONE, &mut rng) else {
        panic!("a ReLU net wider than MAX_HIDDEN must be refused")
    };
    assert!(msg.contains(&format!("1..={MAX_HIDDEN}")), "{msg}");
    let linear = Mixture::parse("linear").unwrap();
    let d = MAX_DIM + 1;
    assert!(linear.sample_prompt(d, d, 3, NoiseRange::NONE, &mut rng).is_err(), "d > MAX_DIM");
    assert!(Context::new(d, &vec![0.0; d], &[0.0]).is_err(), "a context beyond MAX_DIM");
    let ok = Mixture::parse("linear(bias):3, sinusoid(omega_lo=0.5,omega_hi=2.5):1").unwrap();
    assert_eq!(ok.probabilities(), vec![0.75, 0.25]);
    assert_eq!(ok.family_names(), vec!["linear", "sinusoid"]);
}
