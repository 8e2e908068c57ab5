//! Parity of the WebGPU path (src/gpu/) with the candle CPU inference session, through wgpu on
//! whatever adapter the machine has (Mesa's lavapipe on a machine without a GPU; `./build.sh
//! test` installs it and sets `INCONTEXT_REQUIRE_GPU=1`, under which no adapter is a failure).
//! Elsewhere a machine without any adapter skips these tests with a message.

mod gpu_support;

use candle_core::DType;
use gpu_support::{differences, prior, seeded_model_bytes};
use incontext::Error;
use incontext::gpu::{GpuModel, request_device};
use incontext::model::{Encoding, IclTransformer, InferenceSession, ModelConfig, TransformerPredictor, load_model};
use incontext::predictive::Predictive;
use incontext::tasks::{Context, SeededRng};
use incontext::wasm::model_summary;
use incontext::wasm::webgpu::gpu_summary;
use pollster::block_on;

/// Relative error allowed on predictive means (values below 1 in magnitude, the prior's scale
/// of `y`, are compared absolutely) and absolute error on every probability.
const TOL: f64 = 1e-4;

fn config(encoding: Encoding, n_dims: usize, n_embd: usize, n_layer: usize, n_head: usize, bins: usize) -> ModelConfig {
    ModelConfig {
        encoding,
        n_dims,
        max_points: 41,
        n_embd,
        n_layer,
        n_head,
        bins,
        families: vec!["linear".into(), "sinusoid".into()],
    }
}

/// The model on the machine's wgpu adapter; `None` (the test is skipped, with a message) when
/// there is none and `INCONTEXT_REQUIRE_GPU` is not set.
async fn gpu_model(bytes: &[u8]) -> Option<GpuModel> {
    let (device, queue, info) = match request_device().await {
        Ok(found) => found,
        Err(e) => {
            let help = "the GPU tests need a wgpu adapter: `apt-get install mesa-vulkan-drivers libvulkan1`";
            assert!(std::env::var_os("INCONTEXT_REQUIRE_GPU").is_none(), "{e}\n{help}");
            eprintln!("skipped: {e}; {help}");
            return None;
        }
    };
    eprintln!("adapter: {} ({:?}, {:?})", info.name, info.backend, info.device_type);
    Some(GpuModel::new(device, queue, bytes).await.unwrap().0)
}

/// The CPU session's predictions at `queries`. With an empty context the session runs its
/// queries as one causal sequence (query i sees queries 0..i), so there each query is asked
/// alone, which is what "each from the context and the query alone" means.
fn cpu_reference(model: &IclTransformer, context: &Context, queries: &[f64]) -> Vec<Predictive> {
    let session = InferenceSession::new(model, context).unwrap();
    if context.is_empty() {
        queries
            .chunks_exact(context.d)
            .flat_map(|x| session.predict(x).unwrap())
            .collect()
    } else {
        session.predict(queries).unwrap()
    }
}

/// Asserts GPU predictions equal the CPU session's within [`TOL`]; returns the largest
/// probability difference seen.
fn assert_parity(gpu: &[Predictive], cpu: &[Predictive], what: &str) -> f64 {
    assert_eq!(gpu.len(), cpu.len(), "{what}: query count");
    let mut worst: f64 = 0.0;
    for (i, (g, c)) in gpu.iter().zip(cpu).enumerate() {
        let (mean, prob) = differences(g, c);
        assert!(mean <= TOL, "{what}, query {i}: mean {} vs CPU {}", g.mean, c.mean);
        assert!(prob <= TOL, "{what}, query {i}: a probability differs by {prob:.2e}");
        worst = worst.max(prob);
    }
    worst
}

/// Seeded contexts of every size class (empty, one pair, several, the most the model takes),
/// in the model's dimension and a smaller one (zero-padded), each with query counts that do
/// not fill a tile, against the CPU session; for f32 and f16 weight files and two widths
/// (heads of 8 and 32), under both encodings.
#[test]
fn gpu_matches_cpu_session_on_seeded_prompts() {
    let cases = [
        (config(Encoding::Prefix, 3, 32, 3, 4, 16), 7u64, DType::F32),
        (config(Encoding::Prefix, 5, 128, 2, 4, 64), 8, DType::F32),
        (config(Encoding::Prefix, 2, 48, 2, 2, 24), 9, DType::F16),
        (config(Encoding::Interleaved, 3, 32, 3, 4, 16), 10, DType::F32),
        (config(Encoding::Interleaved, 2, 48, 2, 2, 24), 11, DType::F16),
    ];
    let (mixture, noise) = prior();
    for (cfg, seed, dtype) in cases {
        let bytes = seeded_model_bytes(cfg.clone(), seed, dtype);
        let (cpu_model, _) = load_model(&bytes).unwrap();
        let Some(mut gpu) = block_on(gpu_model(&bytes)) else { return };
        let mut rng = SeededRng::new(seed + 100);
        let mut worst: f64 = 0.0;
        for (d, k, q) in [
            (cfg.n_dims, 0, 5),
            (cfg.n_dims, 1, 33),
            (cfg.n_dims - 1, 7, 70),
            (cfg.n_dims, 40, 257),
        ] {
            let prompt = mixture.sample_prompt(d, d, k + q, noise, &mut rng).unwrap();
            let context = Context::prefix(&prompt, k);
            let queries = &prompt.xs[k * d..];
            let cpu = cpu_reference(&cpu_model, &context, queries);
            let out = block_on(gpu.predict(context.xs, context.ys, queries, d)).unwrap();
            assert_eq!(out.len(), q);
            let what = format!("{:?} E={} L={} {dtype:?}, d={d}, k={k}, Q={q}", cfg.encoding, cfg.n_embd, cfg.n_layer);
            worst = worst.max(assert_parity(&out.predictives(gpu.borders()), &cpu, &what));
        }
        eprintln!(
            "E={} L={} {dtype:?}: largest probability difference {worst:.2e}",
            cfg.n_embd, cfg.n_layer
        );
    }
}

/// The models the page ships (www/models/manifest.json), if any, against the CPU session.
#[test]
fn gpu_matches_cpu_session_on_shipped_models() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("www/models");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    for entry in manifest["models"].as_array().unwrap() {
        let file = entry["file"].as_str().unwrap();
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let (cpu_model, meta) = load_model(&bytes).unwrap();
        let Some(mut gpu) = block_on(gpu_model(&bytes)) else { return };
        let d = meta.config.n_dims;
        let mut rng = SeededRng::new(21);
        for k in [0, 5, meta.config.max_points - 1] {
            let prompt = meta.mixture.sample_prompt(d, d, k + 64, meta.noise, &mut rng).unwrap();
            let context = Context::prefix(&prompt, k);
            let queries = &prompt.xs[k * d..];
            let cpu = cpu_reference(&cpu_model, &context, queries);
            let out = block_on(gpu.predict(context.xs, context.ys, queries, d)).unwrap();
            assert_parity(&out.predictives(gpu.borders()), &cpu, &format!("{file}, k={k}"));
        }
    }
}

/// Buffers are pooled: a larger call grows them, later calls reuse them and give bit-identical
/// results; every prediction is one submission with the dispatch count of the recorded plan
/// (prefix: embed + 7 per block but 2 in the last; queries: embed + 7 per block + ln_f, heads,
/// softmax) and reads back exactly `[Q, K + F]` floats.
#[test]
fn buffers_are_reused_and_work_is_counted() {
    let cfg = config(Encoding::Prefix, 2, 32, 3, 2, 8);
    let bytes = seeded_model_bytes(cfg.clone(), 3, DType::F32);
    let Some(mut gpu) = block_on(gpu_model(&bytes)) else { return };
    let (xs, ys) = ([0.5, -1.0, 1.5, 0.2, -0.3, 0.9], [0.1, -0.4, 0.8]);
    let few: Vec<f64> = (0..20).map(|i| (i as f64 - 10.0) / 4.0).collect(); // 10 queries
    let many: Vec<f64> = (0..600).map(|i| (i as f64 - 300.0) / 100.0).collect(); // 300 queries
    let first = block_on(gpu.predict(&xs, &ys, &few, 2)).unwrap();
    let resident_small = gpu.resident_bytes();
    block_on(gpu.predict(&xs, &ys, &many, 2)).unwrap();
    let resident_large = gpu.resident_bytes();
    assert!(resident_large > resident_small, "the pool grows for more queries");
    let again = block_on(gpu.predict(&xs, &ys, &few, 2)).unwrap();
    assert_eq!(gpu.resident_bytes(), resident_large, "a smaller call reuses the pool");
    assert_eq!(first.bar_probs, again.bar_probs);
    assert_eq!(first.family_probs, again.family_probs);

    let layers = cfg.n_layer as u32;
    let (prefix, query) = (1 + 7 * (layers - 1) + 2, 1 + 7 * layers + 3);
    assert_eq!(first.stats.dispatches, prefix + query);
    assert_eq!(first.stats.submissions, 1);
    assert_eq!(first.stats.readback_bytes, 4 * 10 * (8 + 2));
    let empty_context = block_on(gpu.predict(&[], &[], &few, 2)).unwrap();
    assert_eq!(
        empty_context.stats.dispatches, query,
        "no prefix pass without a context"
    );
    // Matrix products alone: the query pass's 2·Q·(12E² per block + E(K + F)) plus the read-in.
    let e = cfg.n_embd as u64;
    let matmul_flops = 2 * 10 * (12 * e * e * u64::from(layers) + e * 10 + e * cfg.token_width() as u64);
    assert!(empty_context.stats.flops > matmul_flops && empty_context.stats.flops < 2 * matmul_flops);
}

/// Bad inputs are errors, not panics; no queries is an empty answer.
#[test]
fn bad_inputs_are_errors() {
    let cfg = config(Encoding::Prefix, 2, 16, 1, 2, 8);
    let bytes = seeded_model_bytes(cfg, 4, DType::F32);
    let Some(mut gpu) = block_on(gpu_model(&bytes)) else { return };
    let q = [0.1, 0.2];
    let invalid = |r: incontext::Result<_>| matches!(r, Err(Error::InvalidInput(_)));
    assert!(invalid(block_on(gpu.predict(&[f64::NAN, 0.0], &[1.0], &q, 2))));
    assert!(invalid(block_on(gpu.predict(
        &[0.0, 0.0],
        &[1.0],
        &[f64::INFINITY, 0.0],
        2
    ))));
    assert!(
        invalid(block_on(gpu.predict(&[0.0, 0.0, 0.0], &[1.0], &[0.0; 3], 3))),
        "d above n_dims"
    );
    assert!(
        invalid(block_on(gpu.predict(&[0.0, 0.0, 0.0], &[1.0], &q, 2))),
        "ragged context"
    );
    assert!(invalid(block_on(gpu.predict(&[], &[], &[0.0; 3], 2))), "ragged queries");
    let full = vec![0.0; 2 * 41];
    assert!(
        invalid(block_on(gpu.predict(&full, &[0.0; 41], &q, 2))),
        "no position left for the query"
    );
    // Values beyond what the model takes are refused as on the CPU (the same validator).
    assert!(invalid(block_on(gpu.predict(&[0.0, 2e6], &[1.0], &q, 2))), "context x beyond ±1e6");
    assert!(invalid(block_on(gpu.predict(&[0.0, 0.0], &[-3e6], &q, 2))), "context y beyond ±1e6");
    assert!(invalid(block_on(gpu.predict(&[], &[], &[1e7, 0.0], 2))), "query beyond ±1e6");
    let too_many = vec![0.0; 2 * (gpu.max_queries() + 1)];
    assert!(invalid(block_on(gpu.predict(&[], &[], &too_many, 2))));
    assert!(block_on(gpu.predict(&[], &[], &[], 2)).unwrap().is_empty());
    // A valid call still works after the rejected ones.
    assert_eq!(block_on(gpu.predict(&[], &[], &q, 2)).unwrap().len(), 1);
}

/// A destroyed (lost) device is reported and every later prediction is an [`Error::Gpu`], not a
/// panic or a hang.
#[test]
fn a_lost_device_fails_cleanly() {
    let bytes = seeded_model_bytes(config(Encoding::Prefix, 2, 16, 1, 2, 8), 5, DType::F32);
    let Some(mut gpu) = block_on(gpu_model(&bytes)) else { return };
    assert_eq!(block_on(gpu.predict(&[], &[], &[0.1, 0.2], 2)).unwrap().len(), 1);
    gpu.destroy();
    let err = block_on(gpu.predict(&[], &[], &[0.1, 0.2], 2)).unwrap_err();
    assert!(matches!(err, Error::Gpu(_)), "{err}");
    assert!(gpu.lost_reason().is_some(), "the loss is reported");
}

/// What the browser's worker gets from `GpuModel.predict` (the GPU prediction summarised) equals
/// what `Model.predict` gives on the CPU: means, bin and family probabilities, borders, and the
/// quantiles (to 1e-4 of each query's 90% interval width: an inverse CDF amplifies probability
/// differences where the density is low).
#[test]
fn browser_summary_matches_the_cpu_model_summary() {
    let bytes = seeded_model_bytes(config(Encoding::Prefix, 1, 32, 2, 4, 16), 6, DType::F32);
    let cpu = TransformerPredictor::from_bytes(&bytes, "cpu").unwrap();
    let Some(mut gpu) = block_on(gpu_model(&bytes)) else { return };
    let (xs, ys) = ([-1.0, 0.2, 1.4], [0.5, -0.1, 0.9]);
    let queries: Vec<f64> = (0..128).map(|i| -3.0 + 6.0 * f64::from(i) / 127.0).collect();
    let expected = model_summary(&cpu, 1, &xs, &ys, &queries).unwrap();
    let prediction = block_on(gpu.predict(&xs, &ys, &queries, 1)).unwrap();
    let got = gpu_summary(&prediction, gpu.borders(), &gpu.config().families).unwrap();
    let close = |a: &[f64], b: &[f64], scale: &dyn Fn(usize) -> f64, what: &str| {
        assert_eq!(a.len(), b.len(), "{what}");
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!((x - y).abs() <= TOL * scale(i), "{what}[{i}]: {x} vs CPU {y}");
        }
    };
    close(&got.mean, &expected.mean, &|i| expected.mean[i].abs().max(1.0), "mean");
    close(
        got.probs.as_ref().unwrap(),
        expected.probs.as_ref().unwrap(),
        &|_| 1.0,
        "probs",
    );
    close(
        got.family_probs.as_ref().unwrap(),
        expected.family_probs.as_ref().unwrap(),
        &|_| 1.0,
        "family probs",
    );
    let (gq, eq) = (got.quantiles.as_ref().unwrap(), expected.quantiles.as_ref().unwrap());
    let q = queries.len();
    close(gq, eq, &|i| (eq[4 * q + i % q] - eq[i % q]).max(1.0), "quantiles");
    assert_eq!(got.borders, expected.borders);
    assert_eq!(got.families, expected.families);
}
