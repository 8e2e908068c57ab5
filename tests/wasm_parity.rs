//! Native half of the wasm parity check: runs the core functions that `src/wasm.rs`
//! exposes to the browser (Bayes posterior, least squares, the transformer, "sample a
//! function") natively on seeded prompts from the page's default pretraining mixture, and
//! writes inputs and outputs to `target/wasm-parity/native.json`. `tests/browser/parity.test.mjs`
//! feeds the same inputs to the wasm build under Node and requires agreement to 1e-5.
//!
//! The transformer cases are included when `www/models/manifest.json` lists a default model
//! whose file is present; the JSON records its SHA-256 so the Node side checks it uses the
//! same file.

use incontext::baselines::BayesPosterior;
use incontext::model::TransformerPredictor;
use incontext::tasks::{Mixture, NoiseRange};
use incontext::wasm::{FunctionSample, Summary, least_squares_summary, model_summary, predict_summary, sample_function};
use serde::Serialize;
use serde_json::Value;
use std::path::PathBuf;

#[derive(Serialize)]
struct Case {
    xs: Vec<f64>,
    ys: Vec<f64>,
    queries: Vec<f64>,
    summary: Summary,
}

#[derive(Serialize)]
struct SampleCase {
    family: String,
    seed: u32,
    k: usize,
    sigma: f64,
    curve_xs: Vec<f64>,
    sample: FunctionSample,
}

#[derive(Serialize)]
struct ModelCases {
    id: String,
    file: String,
    sha256: String,
    cases: Vec<Case>,
}

#[derive(Serialize)]
struct Fixture {
    mixture: String,
    noise: [f64; 2],
    bayes: Vec<Case>,
    least_squares: Vec<Case>,
    model: Option<ModelCases>,
    samples: Vec<SampleCase>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The manifest's default model entry, if its file is present.
fn default_model(manifest: &Value) -> Option<(Value, Vec<u8>)> {
    let default = manifest["default"].as_str()?;
    let entry = manifest["models"].as_array()?.iter().find(|m| m["id"] == default)?.clone();
    let bytes = std::fs::read(root().join("www/models").join(entry["file"].as_str()?)).ok()?;
    Some((entry, bytes))
}

/// Seeded contexts of k = 0, 3 and 12 points from four prompts, each with 9 fixed queries
/// across the plotted range and the prompt's next input.
fn contexts(mixture: &Mixture, noise: NoiseRange) -> Vec<(Vec<f64>, Vec<f64>, Vec<f64>)> {
    let prompts = mixture.sample_prompts(2024, 4, 1, 1, 13, noise).unwrap();
    let mut out = Vec::new();
    for (i, p) in prompts.iter().enumerate() {
        let k = [0, 3, 12, 12][i];
        let mut queries: Vec<f64> = (0..9).map(|j| -3.0 + 0.75 * j as f64).collect();
        queries.push(p.xs[k]);
        out.push((p.xs[..k].to_vec(), p.ys[..k].to_vec(), queries));
    }
    out
}

#[test]
fn native_predictions_for_the_wasm_parity_check() {
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(root().join("www/models/manifest.json")).unwrap()).unwrap();
    let model = default_model(&manifest);
    let predictor = model.as_ref().map(|(entry, bytes)| (entry, TransformerPredictor::from_bytes(bytes, "parity").unwrap()));
    // The Bayes posterior of the model's own mixture when there is a model, else the manifest's.
    let (mixture, noise) = match &predictor {
        Some((_, p)) => (p.meta().mixture.clone(), p.meta().noise),
        None => {
            let r = &manifest["reference"];
            let noise = r["noise"].as_array().unwrap();
            (
                Mixture::parse(r["mixture"].as_str().unwrap()).unwrap(),
                NoiseRange::new(noise[0].as_f64().unwrap(), noise[1].as_f64().unwrap()).unwrap(),
            )
        }
    };
    let bayes = BayesPosterior::new(&mixture, noise, 1).unwrap();
    let families = mixture.family_names();
    let contexts = contexts(&mixture, noise);

    let case = |(xs, ys, queries): &(Vec<f64>, Vec<f64>, Vec<f64>), summary: Summary| Case {
        xs: xs.clone(),
        ys: ys.clone(),
        queries: queries.clone(),
        summary,
    };
    let bayes_cases: Vec<Case> =
        contexts.iter().map(|c| case(c, predict_summary(&bayes, &families, 1, &c.0, &c.1, &c.2).unwrap())).collect();
    let ls_cases: Vec<Case> = contexts.iter().map(|c| case(c, least_squares_summary(1, &c.0, &c.1, &c.2).unwrap())).collect();
    for c in &bayes_cases {
        let s = &c.summary;
        let q = s.mean.len();
        let quantiles = s.quantiles.as_ref().unwrap();
        for i in 0..q {
            // Quantiles increase with the level and bracket the median.
            for l in 0..4 {
                assert!(quantiles[l * q + i] < quantiles[(l + 1) * q + i], "{quantiles:?}");
            }
        }
        let total: f64 = s.family_probs.as_ref().unwrap().iter().sum();
        assert!((total - 1.0).abs() < 1e-9, "family probabilities sum to {total}");
    }
    let model_cases = predictor.map(|(entry, p)| ModelCases {
        id: entry["id"].as_str().unwrap().to_string(),
        file: entry["file"].as_str().unwrap().to_string(),
        sha256: entry["sha256"].as_str().unwrap_or_default().to_string(),
        cases: contexts.iter().map(|c| case(c, model_summary(&p, 1, &c.0, &c.1, &c.2).unwrap())).collect(),
    });

    let curve_xs: Vec<f64> = (0..7).map(|j| -3.0 + j as f64).collect();
    let mut samples = Vec::new();
    let mut specs: Vec<String> = mixture.components.iter().map(|c| c.family.to_string()).collect();
    specs.extend(["convex(alpha=0.3,linear(bias),sinusoid(omega_lo=0.5,omega_hi=2.5))", "sinusoid(omega_lo=4,omega_hi=4)"].map(String::from));
    for (i, family) in specs.iter().enumerate() {
        let seed = 4_000_000_000 + i as u32;
        let sample = sample_function(family, u64::from(seed), 6, 0.1, &curve_xs).unwrap();
        samples.push(SampleCase { family: family.clone(), seed, k: 6, sigma: 0.1, curve_xs: curve_xs.clone(), sample });
    }

    let fixture = Fixture {
        mixture: mixture.to_string(),
        noise: [noise.lo, noise.hi],
        bayes: bayes_cases,
        least_squares: ls_cases,
        model: model_cases,
        samples,
    };
    let dir = root().join("target/wasm-parity");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("native.json"), serde_json::to_vec_pretty(&fixture).unwrap()).unwrap();
}
