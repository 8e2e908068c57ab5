//! Tests of the Bayes posterior against values computed independently: closed forms in
//! function space (k × k covariances), brute-force integration over weights, and a conjugate
//! form of a Monte-Carlo family.

use super::*;
use crate::baselines::Ridge;
use crate::tasks::MixtureComponent;
use nalgebra::{DMatrix, DVector};

fn normals(rng: &mut SeededRng, n: usize) -> Vec<f64> {
    let mut v = vec![0.0; n];
    rng.fill_normal(&mut v);
    v
}

fn mixture(text: &str) -> Mixture {
    Mixture::parse(text).unwrap()
}

fn fixed_noise(sigma: f64) -> NoiseRange {
    NoiseRange::new(sigma, sigma).unwrap()
}

/// `log N(y; 0, cov)` through an explicit `k × k` inverse and determinant (function space).
fn log_normal(y: &[f64], cov: &DMatrix<f64>) -> f64 {
    let k = y.len();
    let y = DVector::from_column_slice(y);
    let quad = (y.transpose() * cov.clone().try_inverse().unwrap() * &y)[0];
    -0.5 * (quad + cov.determinant().ln() + k as f64 * std::f64::consts::TAU.ln())
}

/// `v·ΦΦᵀ + σ²I` for features `phi` (`[k, m]`).
fn prior_covariance(phi: &DMatrix<f64>, prior_var: f64, sigma: f64) -> DMatrix<f64> {
    phi * phi.transpose() * prior_var + DMatrix::identity(phi.nrows(), phi.nrows()) * (sigma * sigma)
}

/// Posterior-predictive mean and variance of `y*` with features `phi_star` under a
/// Gaussian-linear model, via an explicit inverse of `ΦᵀΦ + (σ²/v)I`.
fn closed_form_predictive(phi: &DMatrix<f64>, y: &[f64], phi_star: &[f64], prior_var: f64, sigma: f64) -> (f64, f64) {
    let m = phi.ncols();
    let a_inv = (phi.transpose() * phi + DMatrix::identity(m, m) * (sigma * sigma / prior_var)).try_inverse().unwrap();
    let w = &a_inv * phi.transpose() * DVector::from_column_slice(y);
    let s = DVector::from_column_slice(phi_star);
    (w.dot(&s), sigma * sigma * (1.0 + (s.transpose() * a_inv * &s)[0]))
}

#[test]
fn single_linear_component_is_ridge_with_closed_form_variance_and_evidence() {
    let (d, sigma) = (3, 0.3);
    let mut rng = SeededRng::new(11);
    let queries = normals(&mut rng, 4 * d);
    for bias in [false, true] {
        for k in [0, 5] {
            let (xs, ys) = (normals(&mut rng, k * d), normals(&mut rng, k));
            let ctx = Context::new(d, &xs, &ys).unwrap();
            let bayes =
                BayesPosterior::new(&Mixture::single(FamilySpec::Linear { bias }), fixed_noise(sigma), d).unwrap();
            let fit = bayes.fit(&ctx).unwrap();
            let out = fit.predict(&queries).unwrap();
            // Features [x] or [x, 1]; prior variance 1/(d + bias).
            let m = d + usize::from(bias);
            let v = 1.0 / m as f64;
            let feats = |x: &[f64]| -> Vec<f64> { x.iter().copied().chain(bias.then_some(1.0)).collect() };
            let phi = DMatrix::from_fn(k, m, |i, j| feats(&xs[i * d..(i + 1) * d])[j]);
            for (q, p) in out.iter().enumerate() {
                let (mean, var) = closed_form_predictive(&phi, &ys, &feats(&queries[q * d..(q + 1) * d]), v, sigma);
                assert!((p.mean - mean).abs() < 1e-10, "bias {bias} k {k}: mean {} vs {mean}", p.mean);
                let dist = p.distribution.as_ref().unwrap();
                assert!((dist.variance() - var).abs() < 1e-10 * var, "variance {} vs {var}", dist.variance());
                assert_eq!(p.family_probs.as_deref(), Some(&[1.0][..]));
            }
            let evidence = if k == 0 { 0.0 } else { log_normal(&ys, &prior_covariance(&phi, v, sigma)) };
            assert!(
                (fit.log_marginal_likelihood() - evidence).abs() < 1e-9,
                "{} vs {evidence}",
                fit.log_marginal_likelihood()
            );
            if !bias && k > 0 {
                // Posterior mean = ridge with λ = σ²/v = σ²·d.
                let ridge = Ridge::new(sigma * sigma * d as f64).unwrap().predict(&ctx, &queries).unwrap();
                for (p, r) in out.iter().zip(&ridge) {
                    assert!((p.mean - r.mean).abs() < 1e-10, "{} vs ridge {}", p.mean, r.mean);
                }
            }
        }
    }
}

#[test]
fn two_family_posterior_matches_brute_force_integration() {
    // linear (w ~ N(0, 1)) with weight 0.3 vs sinusoid at ω = 1.3 ((a, b) ~ N(0, I)) with 0.7.
    let (omega, sigma) = (1.3, 0.5);
    let xs = [-1.0, 0.5, 2.0];
    let ys = [0.3, 0.9, 0.2];
    let (x_star, y_star) = (0.7, 0.4);
    let bayes =
        BayesPosterior::new(&mixture("linear:0.3,sinusoid(omega_lo=1.3,omega_hi=1.3):0.7"), fixed_noise(sigma), 1)
            .unwrap();
    let fit = bayes.fit(&Context::new(1, &xs, &ys).unwrap()).unwrap();
    let p = fit.predict(&[x_star]).unwrap().remove(0);

    let gauss = |z: f64, s: f64| (-0.5 * (z / s).powi(2)).exp() / (s * std::f64::consts::TAU.sqrt());
    let likelihood = |f: &dyn Fn(f64) -> f64| xs.iter().zip(&ys).map(|(x, y)| gauss(y - f(*x), sigma)).product::<f64>();
    // Midpoint rule: [evidence, ∫ f(x*) p, ∫ N(y*; f(x*), σ²) p] for each family.
    let mut lin = [0.0; 3];
    let h = 1e-3;
    for i in 0..20_000 {
        let w = -10.0 + (i as f64 + 0.5) * h;
        let weight = gauss(w, 1.0) * likelihood(&|x| w * x) * h;
        lin[0] += weight;
        lin[1] += weight * w * x_star;
        lin[2] += weight * gauss(y_star - w * x_star, sigma);
    }
    let mut sin = [0.0; 3];
    let h = 0.01;
    for i in 0..1600 {
        let a = -8.0 + (i as f64 + 0.5) * h;
        for j in 0..1600 {
            let b = -8.0 + (j as f64 + 0.5) * h;
            let f = |x: f64| a * (omega * x).sin() + b * (omega * x).cos();
            let weight = gauss(a, 1.0) * gauss(b, 1.0) * likelihood(&f) * h * h;
            sin[0] += weight;
            sin[1] += weight * f(x_star);
            sin[2] += weight * gauss(y_star - f(x_star), sigma);
        }
    }
    let evidence = 0.3 * lin[0] + 0.7 * sin[0];
    let p_lin = 0.3 * lin[0] / evidence;
    let mean = (0.3 * lin[1] + 0.7 * sin[1]) / evidence;
    let density = (0.3 * lin[2] + 0.7 * sin[2]) / evidence;

    let probs = p.family_probs.as_ref().unwrap();
    assert!((probs[0] - p_lin).abs() < 1e-7 && (probs[1] - (1.0 - p_lin)).abs() < 1e-7, "{probs:?} vs {p_lin}");
    assert!((p.mean - mean).abs() < 1e-7, "{} vs {mean}", p.mean);
    let got = p.distribution.as_ref().unwrap().log_density(y_star);
    assert!((got - density.ln()).abs() < 1e-7, "{got} vs {}", density.ln());
    assert!((fit.log_marginal_likelihood() - evidence.ln()).abs() < 1e-7);
}

#[test]
fn noiseless_sinusoid_is_identified_with_its_frequency() {
    let (omega0, a, b) = (1.7123, 0.8, -0.6);
    let truth = |x: f64| a * (omega0 * x).sin() + b * (omega0 * x).cos();
    let mut rng = SeededRng::new(5);
    let xs = normals(&mut rng, 40);
    let ys: Vec<f64> = xs.iter().map(|x| truth(*x)).collect();
    let bayes =
        BayesPosterior::new(&mixture("linear(bias):0.5,sinusoid(omega_lo=0.5,omega_hi=2.5):0.5"), NoiseRange::NONE, 1)
            .unwrap();
    let fit = bayes.fit(&Context::new(1, &xs, &ys).unwrap()).unwrap();
    assert!(fit.family_probs()[1] > 0.99, "{:?}", fit.family_probs());
    let om = fit.omega_posterior(1).unwrap();
    assert!((om.probs.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    let argmax = (0..om.probs.len()).max_by(|&i, &j| om.probs[i].total_cmp(&om.probs[j])).unwrap();
    let nearest = (0..om.omegas.len())
        .min_by(|&i, &j| (om.omegas[i] - omega0).abs().total_cmp(&(om.omegas[j] - omega0).abs()))
        .unwrap();
    assert_eq!(
        argmax, nearest,
        "ω posterior peaks at {} (nearest grid point {})",
        om.omegas[argmax], om.omegas[nearest]
    );
    assert!(fit.omega_posterior(0).is_err());
    let p = fit.predict(&[0.37]).unwrap().remove(0);
    assert!((p.mean - truth(0.37)).abs() < 0.02, "{} vs {}", p.mean, truth(0.37));
}

#[test]
fn sparse_supports_are_averaged_by_their_evidence() {
    // sparse_linear(s=2) in d = 3: supports {0,1}, {0,2}, {1,2}, prior 1/3 each, w ~ N(0, I/2);
    // with `bias` each support's features gain a constant 1 and w ~ N(0, I/3).
    let (d, sigma) = (3, 0.2);
    let mut rng = SeededRng::new(21);
    let (xs, ys) = (normals(&mut rng, 4 * d), normals(&mut rng, 4));
    let query = [0.4, -1.1, 0.9];
    for bias in [false, true] {
        let m = 2 + usize::from(bias);
        let label = if bias { "sparse_linear(s=2,bias)" } else { "sparse_linear(s=2)" };
        let bayes = BayesPosterior::new(&mixture(label), fixed_noise(sigma), d).unwrap();
        let got = bayes.predict(&Context::new(d, &xs, &ys).unwrap(), &query).unwrap().remove(0);
        let mut terms = Vec::new();
        for support in [[0, 1], [0, 2], [1, 2]] {
            let feature = |x: &[f64], j: usize| if j < 2 { x[support[j]] } else { 1.0 };
            let phi = DMatrix::from_fn(4, m, |i, j| feature(&xs[i * d..], j));
            let q: Vec<f64> = (0..m).map(|j| feature(&query, j)).collect();
            let v = 1.0 / m as f64;
            let evidence = log_normal(&ys, &prior_covariance(&phi, v, sigma)).exp() / 3.0;
            let (mean, _) = closed_form_predictive(&phi, &ys, &q, v, sigma);
            terms.push((evidence, mean));
        }
        let total: f64 = terms.iter().map(|t| t.0).sum();
        let mean: f64 = terms.iter().map(|(e, m)| e * m).sum::<f64>() / total;
        assert!((got.mean - mean).abs() < 1e-10, "{label}: {} vs {mean}", got.mean);
    }
}

#[test]
fn sigma_grid_averages_fixed_sigma_posteriors_by_evidence() {
    // Noise U[0.1, 0.5] on 2 midpoints: σ ∈ {0.2, 0.4}, prior 1/2 each.
    let mix = mixture("linear:1,sparse_linear(s=1):1");
    let config = BayesConfig { sigma_grid: 2, ..BayesConfig::default() };
    let mut rng = SeededRng::new(31);
    let (xs, ys) = (normals(&mut rng, 6), normals(&mut rng, 3));
    let ctx = Context::new(2, &xs, &ys).unwrap();
    let query = [0.5, 1.5];
    let grid = BayesPosterior::with_config(&mix, NoiseRange::new(0.1, 0.5).unwrap(), 2, config).unwrap();
    assert_eq!(grid.sigma_grid(), &[0.2, 0.4]);
    let fit = grid.fit(&ctx).unwrap();
    let got = fit.predict(&query).unwrap().remove(0);
    let parts: Vec<(f64, f64, Vec<f64>)> = [0.2, 0.4]
        .iter()
        .map(|&s| {
            let single = BayesPosterior::new(&mix, fixed_noise(s), 2).unwrap();
            let f = single.fit(&ctx).unwrap();
            let p = f.predict(&query).unwrap().remove(0);
            (f.log_marginal_likelihood().exp() / 2.0, p.mean, f.family_probs().to_vec())
        })
        .collect();
    let total: f64 = parts.iter().map(|p| p.0).sum();
    assert!((fit.log_marginal_likelihood() - total.ln()).abs() < 1e-10);
    let mean = parts.iter().map(|(e, m, _)| e * m).sum::<f64>() / total;
    assert!((got.mean - mean).abs() < 1e-10);
    let p_linear = parts.iter().map(|(e, _, fp)| e * fp[0]).sum::<f64>() / total;
    assert!((fit.family_probs()[0] - p_linear).abs() < 1e-10);
}

#[test]
fn monte_carlo_tree_posterior_matches_the_conjugate_stump() {
    // A depth-1 tree in 1-D with threshold 0 is Gaussian-linear in [1{x ≤ 0}, 1{x > 0}], v = 1,
    // so importance sampling can be checked against the exact answer.
    let sigma = 0.5;
    let xs = [-1.2, -0.3, 0.4, 1.5];
    let ys = [0.9, 1.1, -0.2, 0.1];
    let config = BayesConfig { mc_draws: 20_000, ..BayesConfig::default() };
    let bayes =
        BayesPosterior::with_config(&mixture("linear:0.5,decision_tree(depth=1):0.5"), fixed_noise(sigma), 1, config)
            .unwrap();
    let p = bayes.predict(&Context::new(1, &xs, &ys).unwrap(), &[-0.5]).unwrap().remove(0);
    let stump = DMatrix::from_fn(4, 2, |i, j| f64::from(u8::from((xs[i] > 0.0) == (j == 1))));
    let line = DMatrix::from_column_slice(4, 1, &xs);
    let e_tree = log_normal(&ys, &prior_covariance(&stump, 1.0, sigma)).exp();
    let e_line = log_normal(&ys, &prior_covariance(&line, 1.0, sigma)).exp();
    let p_tree = e_tree / (e_tree + e_line);
    let (m_tree, _) = closed_form_predictive(&stump, &ys, &[1.0, 0.0], 1.0, sigma);
    let (m_line, _) = closed_form_predictive(&line, &ys, &[-0.5], 1.0, sigma);
    let mean = p_tree * m_tree + (1.0 - p_tree) * m_line;
    let probs = p.family_probs.unwrap();
    assert!((probs[1] - p_tree).abs() < 0.02, "{probs:?} vs exact {p_tree}");
    assert!((p.mean - mean).abs() < 0.03, "{} vs exact {mean}", p.mean);
}

#[test]
fn predict_prompt_matches_prefix_by_prefix_prediction() {
    let mix = mixture("linear(bias):1,sparse_linear(s=1):1,sinusoid(omega_lo=0.5,omega_hi=2):1,relu_net(hidden=8):1");
    let noise = NoiseRange::new(0.1, 0.3).unwrap();
    let config = BayesConfig { omega_grid: 20, directions: 4, sigma_grid: 3, mc_draws: 16, ..BayesConfig::default() };
    let bayes = BayesPosterior::with_config(&mix, noise, 2, config).unwrap();
    let prompt = mix.sample_prompt(2, 2, 6, noise, &mut SeededRng::new(9)).unwrap();
    let fast = bayes.predict_prompt(&prompt).unwrap();
    assert_eq!(fast.len(), 6);
    for (i, p) in fast.iter().enumerate() {
        let slow = bayes.predict(&Context::prefix(&prompt, i), prompt.x(i)).unwrap().remove(0);
        assert!((p.mean - slow.mean).abs() < 1e-12, "position {i}");
        let (a, b) = (p.distribution.as_ref().unwrap(), slow.distribution.as_ref().unwrap());
        assert!((a.variance() - b.variance()).abs() < 1e-12);
        assert_eq!(p.family_probs, slow.family_probs);
    }
}

#[test]
fn bad_models_and_contexts_are_errors() {
    // A convex combination with a Monte-Carlo family has no exact posterior.
    let convex = Mixture::new(vec![MixtureComponent {
        family: FamilySpec::parse("convex(alpha=0.5,linear,relu_net(hidden=4))").unwrap(),
        weight: 1.0,
    }])
    .unwrap();
    match BayesPosterior::new(&convex, NoiseRange::NONE, 2) {
        Err(Error::InvalidInput(m)) => assert!(m.contains("relu_net") && m.contains("Gaussian-linear"), "{m}"),
        other => panic!("expected an error, got {:?}", other.map(|_| ())),
    }
    assert!(BayesPosterior::new(&mixture("sparse_linear(s=4)"), NoiseRange::NONE, 3).is_err());
    let bad_floor = BayesConfig { sigma_floor: 0.0, ..BayesConfig::default() };
    assert!(BayesPosterior::with_config(&mixture("linear"), NoiseRange::NONE, 2, bad_floor).is_err());
    // A posterior over 3 active coordinates cannot read a 2-dimensional context.
    let bayes = BayesPosterior::new(&mixture("linear"), NoiseRange::NONE, 3).unwrap();
    let ctx = Context::new(2, &[1.0, 2.0], &[0.5]).unwrap();
    assert!(matches!(bayes.predict(&ctx, &[0.0, 0.0]), Err(Error::InvalidInput(_))));
    // A zero-padded context (d = 4 > d_eff = 3) is fine.
    let padded = Context::new(4, &[1.0, 2.0, 0.5, 0.0], &[0.5]).unwrap();
    assert_eq!(bayes.predict(&padded, &[0.0; 8]).unwrap().len(), 2);
}

#[test]
fn omega_posterior_stays_normalised_when_its_family_is_improbable() {
    // A steep noiseless line: the sinusoid family's probability underflows, yet its
    // conditional ω posterior is still a distribution.
    let mut rng = SeededRng::new(41);
    let xs = normals(&mut rng, 40);
    let ys: Vec<f64> = xs.iter().map(|x| 3.0 * x + 1.0).collect();
    let bayes =
        BayesPosterior::new(&mixture("linear(bias):0.5,sinusoid(omega_lo=0.5,omega_hi=2.5):0.5"), NoiseRange::NONE, 1)
            .unwrap();
    let fit = bayes.fit(&Context::new(1, &xs, &ys).unwrap()).unwrap();
    assert_eq!(fit.family_probs()[1], 0.0, "the sinusoid family should underflow");
    let om = fit.omega_posterior(1).unwrap();
    assert!(om.probs.iter().all(|p| p.is_finite() && *p >= 0.0));
    assert!((om.probs.iter().sum::<f64>() - 1.0).abs() < 1e-12);
}

#[test]
fn binomial_is_exact_and_saturates_and_large_sparse_families_are_refused() {
    // Values from Python's math.comb.
    for (n, s, want) in [(5, 2, 10), (100, 90, 17_310_309_456_440), (128, 120, 1_429_702_652_400), (100, 99, 100), (7, 0, 1), (7, 7, 1)] {
        assert_eq!(super::binomial(n, s), want, "C({n}, {s})");
    }
    assert_eq!(super::binomial(256, 200), usize::MAX);
    assert_eq!(super::binomial(256, 128), usize::MAX);
    // C(100, 90) supports would be 1.7e13 Gaussian components: refused up front.
    let err = BayesPosterior::new(&mixture("sparse_linear(s=90,bias)"), NoiseRange::NONE, 100).err().expect("too many supports");
    assert!(matches!(&err, crate::Error::InvalidInput(m) if m.contains("too many supports")), "{err}");
    // C(100, 99) = 100 supports is small and allowed.
    assert!(BayesPosterior::new(&mixture("sparse_linear(s=99)"), NoiseRange::NONE, 100).is_ok());
}

/// `convex(α, linear(bias), sinusoid at one ω)` at one σ is one Gaussian-linear model over the
/// features `[x, 1, sin ωx, cos ωx]` whose weights have variances `s²α²/2, s²α²/2, s²(1−α)²,
/// s²(1−α)²` (`s = 1/sqrt(α² + (1−α)²)`): its predictive and evidence in function space,
/// `K = Φ diag(v) Φᵀ + σ²I`, must match the posterior's weight-space computation.
#[test]
fn convex_of_gaussian_families_matches_its_function_space_closed_form() {
    let (omega, sigma, k) = (1.7, 0.15, 9);
    let mut rng = SeededRng::new(5);
    let (xs, ys, queries) = (normals(&mut rng, k), normals(&mut rng, k), normals(&mut rng, 6));
    let ctx = Context::new(1, &xs, &ys).unwrap();
    for alpha in [0.0f64, 0.3, 0.5, 1.0] {
        let spec = format!("convex(alpha={alpha},linear(bias),sinusoid(omega_lo={omega},omega_hi={omega}))");
        let bayes = BayesPosterior::new(&mixture(&spec), fixed_noise(sigma), 1).unwrap();
        let fit = bayes.fit(&ctx).unwrap();
        let s2 = 1.0 / (alpha * alpha + (1.0 - alpha) * (1.0 - alpha));
        let var = [s2 * alpha * alpha / 2.0, s2 * alpha * alpha / 2.0, s2 * (1.0 - alpha).powi(2), s2 * (1.0 - alpha).powi(2)];
        let feats = |x: f64| [x, 1.0, (omega * x).sin(), (omega * x).cos()];
        let kernel = |a: f64, b: f64| feats(a).iter().zip(feats(b)).zip(var).map(|((p, q), v)| p * q * v).sum::<f64>();
        let cov = DMatrix::from_fn(k, k, |i, j| kernel(xs[i], xs[j]) + if i == j { sigma * sigma } else { 0.0 });
        let cov_inv = cov.clone().try_inverse().unwrap();
        let y = DVector::from_column_slice(&ys);
        assert!((fit.log_marginal_likelihood() - log_normal(&ys, &cov)).abs() < 1e-9, "alpha {alpha}");
        for (p, &q) in fit.predict(&queries).unwrap().iter().zip(&queries) {
            let kq = DVector::from_fn(k, |i, _| kernel(xs[i], q));
            let mean = (kq.transpose() * &cov_inv * &y)[0];
            let variance = kernel(q, q) - (kq.transpose() * &cov_inv * &kq)[0] + sigma * sigma;
            assert!((p.mean - mean).abs() < 1e-9, "alpha {alpha}: mean {} vs {mean}", p.mean);
            let v = p.distribution.as_ref().unwrap().variance();
            assert!((v - variance).abs() < 1e-9 * variance.max(1.0), "alpha {alpha}: variance {v} vs {variance}");
        }
    }
}

/// With α = 1 the sinusoid part has weight 0: every ω component is the line's posterior, so
/// the ω grid averages identical predictions.
#[test]
fn convex_with_alpha_one_is_its_first_family() {
    let mut rng = SeededRng::new(8);
    let (xs, ys, queries) = (normals(&mut rng, 7), normals(&mut rng, 7), normals(&mut rng, 3));
    let ctx = Context::new(1, &xs, &ys).unwrap();
    let noise = NoiseRange::new(0.05, 0.2).unwrap();
    let convex = BayesPosterior::new(&mixture("convex(alpha=1,linear(bias),sinusoid)"), noise, 1).unwrap();
    let line = BayesPosterior::new(&mixture("linear(bias)"), noise, 1).unwrap();
    for (a, b) in convex.predict(&ctx, &queries).unwrap().iter().zip(line.predict(&ctx, &queries).unwrap()) {
        assert!((a.mean - b.mean).abs() < 1e-9, "{} vs {}", a.mean, b.mean);
        let (va, vb) = (a.distribution.as_ref().unwrap().variance(), b.distribution.as_ref().unwrap().variance());
        assert!((va - vb).abs() < 1e-9, "{va} vs {vb}");
    }
}

#[test]
fn covering_prior_widens_sinusoid_bands_to_pretraining_and_keeps_other_families() {
    let pretraining = mixture("linear(bias):1,sinusoid(omega_lo=0.5,omega_hi=2.5):1,sinusoid(omega_lo=0.1,omega_hi=0.2):0");
    let cover = |truth: &str| covering_prior(&FamilySpec::parse(truth).unwrap(), &pretraining).to_string();
    assert_eq!(cover("sinusoid(omega_lo=5,omega_hi=5)"), "sinusoid(omega_lo=0.5,omega_hi=5)");
    assert_eq!(cover("sinusoid(omega_lo=1,omega_hi=1)"), "sinusoid(omega_lo=0.5,omega_hi=2.5)");
    assert_eq!(
        cover("convex(alpha=0.5,linear(bias),sinusoid(omega_lo=0.3,omega_hi=0.3))"),
        "convex(alpha=0.5,linear(bias),sinusoid(omega_lo=0.3,omega_hi=2.5))"
    );
    assert_eq!(cover("relu_net(hidden=100,bias)"), "relu_net(hidden=100,bias)");
    // Without sinusoids in pretraining the drawn band is kept as it is.
    let lines = mixture("linear(bias)");
    assert_eq!(
        covering_prior(&FamilySpec::parse("sinusoid(omega_lo=5,omega_hi=5)").unwrap(), &lines).to_string(),
        "sinusoid(omega_lo=5,omega_hi=5)"
    );
}
