//! Tests of the classical baselines and of `predictor_from_name` / `default_baselines`.

use super::*;
use crate::Error;
use crate::tasks::SeededRng;
use nalgebra::DMatrix;

fn normals(rng: &mut SeededRng, n: usize) -> Vec<f64> {
    let mut v = vec![0.0; n];
    rng.fill_normal(&mut v);
    v
}

/// A random context: `[k, d]` standard normal inputs and `[k]` standard normal targets.
fn random_data(seed: u64, k: usize, d: usize) -> (Vec<f64>, Vec<f64>) {
    let mut rng = SeededRng::new(seed);
    (normals(&mut rng, k * d), normals(&mut rng, k))
}

fn assert_close(a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol * (1.0 + y.abs()), "entry {i}: {x} vs {y}");
    }
}

#[test]
fn least_squares_matches_normal_equations_when_overdetermined() {
    let (k, d) = (7, 3);
    let (xs, ys) = random_data(1, k, d);
    let ctx = Context::new(d, &xs, &ys).unwrap();
    let x = DMatrix::from_row_slice(k, d, &xs);
    let y = DVector::from_column_slice(&ys);
    let closed = (x.transpose() * &x).try_inverse().unwrap() * x.transpose() * y; // (XᵀX)⁻¹Xᵀy
    assert_close(&LeastSquares::default().fit(&ctx).unwrap(), closed.as_slice(), 1e-10);
    let query = [0.3, -1.2, 2.0];
    let expected = dot(closed.as_slice(), &query);
    assert!((LeastSquares::default().predict(&ctx, &query).unwrap()[0].mean - expected).abs() < 1e-10);
}

#[test]
fn least_squares_is_minimum_norm_when_underdetermined() {
    let (k, d) = (3, 5);
    let (xs, ys) = random_data(2, k, d);
    let ctx = Context::new(d, &xs, &ys).unwrap();
    let x = DMatrix::from_row_slice(k, d, &xs);
    let y = DVector::from_column_slice(&ys);
    let min_norm = x.transpose() * (&x * x.transpose()).try_inverse().unwrap() * &y; // Xᵀ(XXᵀ)⁻¹y
    let w = LeastSquares::default().fit(&ctx).unwrap();
    assert_close(&w, min_norm.as_slice(), 1e-10);
    // It interpolates the context.
    assert_close((x * DVector::from_column_slice(&w)).as_slice(), &ys, 1e-10);
}

#[test]
fn ridge_matches_hand_computed_one_dimensional_case() {
    // w = Σxy / (Σx² + λ) = (1·1 + 2·3) / (1 + 4 + 0.5).
    let ctx = Context::new(1, &[1.0, 2.0], &[1.0, 3.0]).unwrap();
    let ridge = Ridge::new(0.5).unwrap();
    assert!((ridge.fit(&ctx).unwrap()[0] - 7.0 / 5.5).abs() < 1e-12);
    assert!((ridge.predict(&ctx, &[2.0]).unwrap()[0].mean - 14.0 / 5.5).abs() < 1e-12);
}

/// Lasso KKT conditions for `1/(2k)||y − Xw||² + α||w||₁`: with `g = Xᵀ(y − Xw)/k`,
/// `|g_j| ≤ α` everywhere and `g_j = α·sign(w_j)` where `w_j ≠ 0`.
fn assert_lasso_kkt(xs: &[f64], ys: &[f64], d: usize, alpha: f64, w: &[f64]) {
    let k = ys.len();
    let residual: Vec<f64> = (0..k).map(|i| ys[i] - dot(&xs[i * d..(i + 1) * d], w)).collect();
    for j in 0..d {
        let g = (0..k).map(|i| xs[i * d + j] * residual[i]).sum::<f64>() / k as f64;
        assert!(g.abs() <= alpha + 1e-6, "coordinate {j}: |g| = {} > α = {alpha}", g.abs());
        if w[j] != 0.0 {
            assert!((g - alpha * w[j].signum()).abs() <= 1e-6, "coordinate {j}: g = {g}, w = {}", w[j]);
        }
    }
}

#[test]
fn lasso_satisfies_kkt_conditions() {
    for (seed, k, d, alpha) in [(3, 3, 8, 0.01), (4, 10, 5, 0.1), (5, 20, 5, 0.01), (6, 5, 5, 0.3)] {
        let (xs, ys) = random_data(seed, k, d);
        let ctx = Context::new(d, &xs, &ys).unwrap();
        let w = Lasso::new(alpha, false).unwrap().fit(&ctx).unwrap();
        assert!(w.iter().any(|v| *v != 0.0), "α = {alpha} should leave a non-zero weight");
        assert_lasso_kkt(&xs, &ys, d, alpha, &w);
    }
}

#[test]
fn lasso_path_satisfies_kkt_along_the_grid_and_starts_at_zero() {
    let (k, d) = (12, 6);
    let (xs, ys) = random_data(7, k, d);
    let ctx = Context::new(d, &xs, &ys).unwrap();
    let alphas = lasso_alpha_grid(&ctx, 15, 1e-3).unwrap();
    // α_max = ||Xᵀy||_∞ / k, computed directly.
    let alpha_max =
        (0..d).map(|j| (0..k).map(|i| xs[i * d + j] * ys[i]).sum::<f64>().abs() / k as f64).fold(0.0, f64::max);
    assert!((alphas[0] - alpha_max).abs() < 1e-12 && (alphas[14] - 1e-3 * alpha_max).abs() < 1e-12);
    let path = lasso_path(&ctx, &alphas).unwrap();
    assert!(path[0].iter().all(|v| *v == 0.0));
    for (alpha, w) in alphas.iter().zip(&path) {
        assert_lasso_kkt(&xs, &ys, d, *alpha, w);
    }
    assert!(lasso_path(&ctx, &[0.1, 0.0]).is_err());
}

#[test]
fn knn_averages_the_three_nearest_points() {
    let ctx = Context::new(1, &[0.0, 1.0, 2.0, 10.0], &[1.0, 2.0, 3.0, 4.0]).unwrap();
    let knn = NearestNeighbours::new(3).unwrap();
    let got: Vec<f64> = knn.predict(&ctx, &[1.2, 9.0]).unwrap().iter().map(|p| p.mean).collect();
    // 1.2 → points at 1, 2, 0 (ys 2, 3, 1); 9 → points at 10, 2, 1 (ys 4, 3, 2).
    assert_close(&got, &[2.0, 3.0], 1e-12);
    let short = Context::new(1, &[0.0, 5.0], &[1.0, 4.0]).unwrap();
    assert!((knn.predict(&short, &[0.0]).unwrap()[0].mean - 2.5).abs() < 1e-12);
}

#[test]
fn averaging_is_the_mean_of_y_times_x() {
    // ŵ = ((2·[1, 0]) + (4·[0, 2])) / 2 = [1, 4]; ŷ([1, 1]) = 5.
    let ctx = Context::new(2, &[1.0, 0.0, 0.0, 2.0], &[2.0, 4.0]).unwrap();
    assert_close(&Averaging.fit(&ctx), &[1.0, 4.0], 1e-12);
    assert!((Averaging.predict(&ctx, &[1.0, 1.0]).unwrap()[0].mean - 5.0).abs() < 1e-12);
}

/// A mixture with every family the Bayes posterior handles, in `d = 3`.
fn full_mixture() -> (Mixture, NoiseRange) {
    let mixture = Mixture::parse(
        "linear(bias):1,sparse_linear(s=2):1,sinusoid(omega_lo=0.5,omega_hi=2.5):1,relu_net(hidden=16,bias):1,decision_tree(depth=2):1",
    )
    .unwrap();
    (mixture, NoiseRange::new(0.1, 0.3).unwrap())
}

#[test]
fn every_baseline_predicts_zero_on_an_empty_context() {
    let (mixture, noise) = full_mixture();
    let queries = [0.5, -1.0, 2.0, 1.5, 0.0, -0.3];
    let empty = Context::new(3, &[], &[]).unwrap();
    for label in KNOWN_PREDICTORS {
        let predictor = predictor_from_name(label, &mixture, noise, 3).unwrap();
        let out = predictor.predict(&empty, &queries).unwrap();
        assert_eq!(out.len(), 2, "{label}");
        for p in out {
            assert!(p.mean.abs() < 1e-12, "{label} predicted {} on an empty context", p.mean);
        }
    }
}

#[test]
fn bad_queries_are_errors_not_panics() {
    let (mixture, noise) = full_mixture();
    let (xs, ys) = random_data(8, 4, 3);
    let ctx = Context::new(3, &xs, &ys).unwrap();
    for label in KNOWN_PREDICTORS {
        let predictor = predictor_from_name(label, &mixture, noise, 3).unwrap();
        for bad in [vec![1.0, 2.0, 3.0, 4.0], vec![1.0, f64::NAN, 0.0], vec![f64::INFINITY, 0.0, 0.0]] {
            assert!(
                matches!(predictor.predict(&ctx, &bad), Err(Error::InvalidInput(_))),
                "{label} accepted queries {bad:?}"
            );
        }
    }
}

#[test]
fn predictor_labels_round_trip_and_bad_labels_fail() {
    let (mixture, noise) = full_mixture();
    for label in KNOWN_PREDICTORS {
        assert_eq!(predictor_from_name(label, &mixture, noise, 3).unwrap().name(), *label);
    }
    let custom = "bayes(omega_grid=50,directions=4,sigma_grid=3,mc_draws=8,sigma_floor=0.01,seed=7)";
    assert_eq!(predictor_from_name(custom, &mixture, noise, 3).unwrap().name(), custom);
    assert_eq!(predictor_from_name("ridge", &mixture, noise, 3).unwrap().name(), "ridge(lambda=0.1)");
    match predictor_from_name("gradient_boosting", &mixture, noise, 3) {
        Err(Error::InvalidInput(msg)) => assert!(msg.contains("least_squares") && msg.contains("bayes"), "{msg}"),
        other => panic!("expected InvalidInput, got {:?}", other.map(|p| p.name())),
    }
    for bad in [
        "ridge(lambda=-1)",
        "ridge(lambda=abc)",
        "lasso(beta=1)",
        "knn(k=0)",
        "knn(k=1.5)",
        "lasso(alpha=0.1",
        "bayes(sigma_grid=0)",
    ] {
        assert!(matches!(predictor_from_name(bad, &mixture, noise, 3), Err(Error::InvalidInput(_))), "{bad}");
    }
    // A convex combination has an exact posterior only when both parts are Gaussian-linear.
    let convex = Mixture::parse("convex(alpha=0.5,linear,relu_net(hidden=4))").unwrap();
    assert!(matches!(predictor_from_name("bayes", &convex, noise, 3), Err(Error::InvalidInput(_))));
    assert!(predictor_from_name("bayes", &Mixture::parse("convex(alpha=0.5,linear,sinusoid)").unwrap(), noise, 3).is_ok());
}

#[test]
fn default_baselines_follow_the_mixture() {
    let linear = Mixture::parse("linear").unwrap();
    assert_eq!(default_baselines(&linear), ["least_squares", "knn(k=3)", "averaging", "bayes"]);
    let sparse = Mixture::parse("linear:0.5,sparse_linear(s=2):0.5").unwrap();
    assert_eq!(default_baselines(&sparse), ["least_squares", "knn(k=3)", "averaging", "lasso(alpha=0.01)", "bayes"]);
    let convex = Mixture::parse("convex(alpha=0.5,linear,sinusoid)").unwrap();
    assert_eq!(default_baselines(&convex), ["least_squares", "knn(k=3)", "averaging"]);
    let offset = Mixture::parse("linear(bias):0.5,sparse_linear(s=2,bias):0.5").unwrap();
    let with_intercept = ["least_squares(intercept)", "knn(k=3)", "averaging", "lasso(alpha=0.01,intercept)", "bayes"];
    assert_eq!(default_baselines(&offset), with_intercept);
    for (mixture, name) in [&sparse, &offset].into_iter().flat_map(|m| default_baselines(m).into_iter().map(move |n| (m, n))) {
        assert_eq!(predictor_from_name(&name, mixture, NoiseRange::NONE, 5).unwrap().name(), name);
    }
}

#[test]
fn lasso_with_intercept_centres_the_context() {
    // y = 2x + 5 at x = 0, 1, 2, 3: x̄ = 1.5, ȳ = 8; the centred x has Σx²/k = 1.25 and
    // Σxy/k = 2.5, so the one-coordinate Lasso is w = (2.5 − α)/1.25 = 1.92 at α = 0.1 and the
    // prediction at x = 4 is ȳ + (4 − x̄)·w = 8 + 2.5·1.92 = 12.8. Without an intercept the
    // offset is forced through w: Σxy/k = 58/4 = 14.5, Σx²/k = 3.5, w = (14.5 − 0.1)/3.5.
    let (xs, ys) = ([0.0, 1.0, 2.0, 3.0], [5.0, 7.0, 9.0, 11.0]);
    let ctx = Context::new(1, &xs, &ys).unwrap();
    let mixture = Mixture::parse("sparse_linear(s=1,bias)").unwrap();
    let with = predictor_from_name("lasso(alpha=0.1,intercept)", &mixture, NoiseRange::NONE, 1).unwrap();
    assert!((with.predict(&ctx, &[4.0]).unwrap()[0].mean - 12.8).abs() < 1e-9);
    let without = Lasso::new(0.1, false).unwrap();
    assert!((without.predict(&ctx, &[4.0]).unwrap()[0].mean - 4.0 * 14.4 / 3.5).abs() < 1e-9);
    // One point: the centred context is all zeros, so the prediction is that point's y.
    let one = Context::new(1, &xs[..1], &ys[..1]).unwrap();
    assert_eq!(with.predict(&one, &[4.0]).unwrap()[0].mean, 5.0);
}

#[test]
fn least_squares_with_intercept_fits_an_offset_and_parses_as_a_flag() {
    // Two points of y = 2x + 1 determine the line; without an intercept the fit through the
    // origin is the projection w = Σxy / Σx² = (3·1 + 7·3) / (1 + 9) = 2.4.
    let (xs, ys) = ([1.0, 3.0], [3.0, 7.0]);
    let ctx = Context::new(1, &xs, &ys).unwrap();
    let (mixture, noise) = (Mixture::parse("linear(bias)").unwrap(), NoiseRange::NONE);
    let with = predictor_from_name("least_squares(intercept)", &mixture, noise, 1).unwrap();
    assert_eq!(with.name(), "least_squares(intercept)");
    assert!((with.predict(&ctx, &[2.0]).unwrap()[0].mean - 5.0).abs() < 1e-10);
    let without = predictor_from_name("least_squares", &mixture, noise, 1).unwrap();
    assert!((without.predict(&ctx, &[2.0]).unwrap()[0].mean - 4.8).abs() < 1e-10);
    assert_eq!(with_intercept(&[1.0, 2.0, 3.0, 4.0], 2), vec![1.0, 2.0, 1.0, 3.0, 4.0, 1.0]);
    // The default baselines of a mixture with a bias fit an intercept; a flag takes no value.
    assert_eq!(default_baselines(&mixture)[0], "least_squares(intercept)");
    for (bad, needle) in [
        ("least_squares(intercept=1)", "takes no value"),
        ("least_squares(bias)", "unknown argument 'bias'"),
        ("lasso(alpha=abc,intercept)", "'alpha=abc' needs a finite non-negative number"),
        ("lasso(alpha=0.01,intercept,intercept)", "intercept is given more than once"),
        ("lasso(alpha=0.01,alpha=0.1)", "alpha is given more than once"),
    ] {
        match predictor_from_name(bad, &mixture, noise, 1) {
            Err(Error::InvalidInput(msg)) => assert!(msg.contains(needle), "{msg}"),
            _ => panic!("{bad} must be rejected"),
        }
    }
}
