//! Native half of `./build.sh bench web`: milliseconds per full prediction of
//! the page's default model (context run once with cached keys/values, Q queries batched, then
//! the page's summary: mean, five quantiles, bin probabilities, family probabilities), at
//! n = 10, 20, 40 context points (those the model takes) and Q = 128, 256 queries. `tests/browser/bench.mjs` times the
//! same calls in headless Chromium and prints both side by side.
//!
//! The model is `$INCONTEXT_BENCH_MODEL` or else the default of `www/models/manifest.json`.
//! Contexts come from `incontext::wasm::sample_function` (seeded), so both halves see the same
//! numbers. Output: JSON on stdout.

use incontext::model::TransformerPredictor;
use incontext::wasm::{model_summary, sample_function};
use std::path::PathBuf;
use std::time::Instant;

/// The seeded context family, seed and noise both halves use.
const FAMILY: &str = "sinusoid(omega_lo=1.3,omega_hi=1.3)";
const SEED: u64 = 1;
const SIGMA: f64 = 0.1;
const CONTEXTS: [usize; 3] = [10, 20, 40];
const QUERIES: [usize; 2] = [128, 256];
const WARMUP: usize = 3;
const RUNS: usize = 30;

fn model_path(root: &std::path::Path) -> Result<PathBuf, String> {
    if let Ok(path) = std::env::var("INCONTEXT_BENCH_MODEL") {
        return Ok(PathBuf::from(path));
    }
    let text = std::fs::read_to_string(root.join("www/models/manifest.json")).map_err(|e| format!("manifest: {e}"))?;
    let manifest: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("manifest: {e}"))?;
    let default = manifest["default"].as_str().unwrap_or_default();
    let entry = manifest["models"]
        .as_array()
        .and_then(|models| models.iter().find(|m| m["id"] == default))
        .ok_or_else(|| format!("www/models/manifest.json lists no default model '{default}'"))?;
    Ok(root.join("www/models").join(entry["file"].as_str().unwrap_or_default()))
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let path = match model_path(&root) {
        Ok(path) => path,
        Err(e) => {
            eprintln!("bench web: {e}; set INCONTEXT_BENCH_MODEL=path/to/model.safetensors");
            std::process::exit(2);
        }
    };
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let model = TransformerPredictor::from_bytes(&bytes, "bench").expect("a loadable model");
    let mut rows = Vec::new();
    let max_context = model.meta().config.max_points - 1;
    for &n in CONTEXTS.iter().filter(|&&n| n <= max_context) {
        for &q in &QUERIES {
            let queries: Vec<f64> = (0..q).map(|i| -3.0 + 6.0 * i as f64 / (q - 1) as f64).collect();
            let ctx = sample_function(FAMILY, SEED, n, SIGMA, &[]).expect("a seeded context");
            let mut times = Vec::with_capacity(RUNS);
            for run in 0..WARMUP + RUNS {
                let start = Instant::now();
                let summary = model_summary(&model, 1, &ctx.xs, &ctx.ys, &queries).expect("a prediction");
                let ms = start.elapsed().as_secs_f64() * 1e3;
                assert_eq!(summary.mean.len(), q);
                if run >= WARMUP {
                    times.push(ms);
                }
            }
            rows.push(serde_json::json!({ "n": n, "q": q, "ms": median(times) }));
        }
    }
    let out = serde_json::json!({
        "model": path.strip_prefix(&root).unwrap_or(&path).display().to_string(),
        "family": FAMILY, "seed": SEED, "sigma": SIGMA, "runs": RUNS, "rows": rows,
    });
    println!("{out}");
}
