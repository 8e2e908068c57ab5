//! `./build.sh bench gpu`: milliseconds per full prediction (context prefix + Q queries) of the
//! candle CPU session and of the WebGPU path (src/gpu/) through native wgpu, with the GPU path's
//! dispatches, buffer traffic and FLOPs per prediction, so its speed on a real GPU can be
//! estimated. On a machine without a GPU the wgpu adapter is Mesa's lavapipe, a CPU emulation:
//! its times show that the path runs, not how fast a GPU is.
//!
//! Model: the training benchmark's architecture (presets/bench.toml: d = 5, 4 layers, 128
//! wide, 4 heads, 64 bins) with seeded weights and max_points 41, so n = 40 pairs fit before the
//! query; Q = 256 and 1024 queries. The model and the inputs are written to target/bench-gpu/
//! for the browser half (tests/browser/bench-gpu.mjs: WebGPU and wasm in headless Chromium).

#[path = "../tests/gpu_support/mod.rs"]
mod gpu_support;

use candle_core::DType;
use incontext::gpu::{GpuModel, request_device};
use incontext::model::{Encoding, InferenceSession, ModelConfig, load_model};
use incontext::tasks::{Context, SeededRng};
use std::time::Instant;

/// Context pairs.
const N: usize = 40;
/// Untimed runs before timing.
const WARMUP: usize = 2;
/// Timed runs (the median is reported).
const RUNS: usize = 7;

fn median_ms(mut f: impl FnMut()) -> f64 {
    for _ in 0..WARMUP {
        f();
    }
    let mut times: Vec<f64> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[RUNS / 2]
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn main() {
    let config = ModelConfig {
        encoding: Encoding::Prefix,
        n_dims: 5,
        max_points: 41,
        n_embd: 128,
        n_layer: 4,
        n_head: 4,
        bins: 64,
        families: vec!["linear".into(), "sinusoid".into()],
    };
    let d = config.n_dims;
    let bytes = gpu_support::seeded_model_bytes(config.clone(), 1, DType::F32);
    let (cpu_model, _) = load_model(&bytes).expect("seeded model loads");
    let (device, queue, info) = pollster::block_on(request_device()).unwrap_or_else(|e| {
        eprintln!("gpu bench: {e}");
        std::process::exit(1)
    });
    let emulated = info.device_type == wgpu::DeviceType::Cpu;
    let label = format!(
        "wgpu {:?} on {}{}",
        info.backend,
        info.name,
        if emulated {
            " (CPU emulation: correctness and counts, not GPU speed)"
        } else {
            ""
        }
    );
    let (mut gpu, _) = pollster::block_on(GpuModel::new(device, queue, &bytes)).expect("GPU model");

    // One seeded prompt from the models' prior: n context pairs, then the query points.
    let (mixture, noise) = gpu_support::prior();
    let q_max = 1024;
    let prompt = mixture
        .sample_prompt(d, d, N + q_max, noise, &mut SeededRng::new(2))
        .expect("prompt");
    let context = Context::prefix(&prompt, N);
    let (xs, ys) = (context.xs, context.ys);
    println!(
        "model: d = {d}, {} layers, {} wide, {} heads, {} bins; n = {N} context pairs",
        config.n_layer, config.n_embd, config.n_head, config.bins
    );
    println!(
        "CPU: candle, native, {} threads",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!("GPU: {label}");
    println!();
    println!(
        "{:>5} | {:>9} | {:>9} | {:>10} | {:>7} | {:>11} | {:>9} | {:>9} | {:>11} | {:>9}",
        "Q", "CPU ms", "GPU ms", "dispatches", "submits", "buffer MiB", "upload KiB", "read KiB", "GFLOP", "max |Δp|"
    );
    for q in [256, q_max] {
        let queries = &prompt.xs[N * d..(N + q) * d];
        let cpu_ms = median_ms(|| {
            let session = InferenceSession::new(&cpu_model, &context).expect("session");
            session.predict(queries).expect("CPU prediction");
        });
        let mut last = None;
        let gpu_ms = median_ms(|| {
            last = Some(pollster::block_on(gpu.predict(xs, ys, queries, d)).expect("GPU prediction"));
        });
        let out = last.expect("timed runs");
        let cpu = InferenceSession::new(&cpu_model, &context)
            .and_then(|s| s.predict(queries))
            .expect("CPU prediction");
        let max_dp = out
            .predictives(gpu.borders())
            .iter()
            .zip(&cpu)
            .map(|(g, c)| gpu_support::differences(g, c).1)
            .fold(0.0, f64::max);
        let s = out.stats;
        println!(
            "{q:>5} | {cpu_ms:>9.2} | {gpu_ms:>9.2} | {:>10} | {:>7} | {:>11.2} | {:>9.1} | {:>9.1} | {:>11.3} | {max_dp:>9.1e}",
            s.dispatches,
            s.submissions,
            mib(s.buffer_bytes),
            s.upload_bytes as f64 / 1024.0,
            s.readback_bytes as f64 / 1024.0,
            s.flops as f64 / 1e9,
        );
    }
    // The browser half times the same model on the same inputs.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-gpu");
    std::fs::create_dir_all(&dir).expect("target/bench-gpu");
    std::fs::write(dir.join("model.safetensors"), &bytes).expect("model file");
    let inputs = serde_json::json!({
        "model": "target/bench-gpu/model.safetensors",
        "d": d,
        "xs": xs,
        "ys": ys,
        "queries": &prompt.xs[N * d..],
        "q": [256, q_max],
    });
    std::fs::write(dir.join("inputs.json"), inputs.to_string()).expect("inputs file");
    println!();
    println!(
        "resident on the device: {:.2} MiB (weights + pooled buffers)",
        mib(gpu.resident_bytes())
    );
    println!(
        "buffer MiB: bytes the dispatches read and write (each bound range once per dispatch); \
         GFLOP: 2 per multiply-add plus elementwise ops. On a real GPU a prediction costs about \
         max(GFLOP / throughput, buffer MiB / bandwidth) plus one submission and one read-back."
    );
}
