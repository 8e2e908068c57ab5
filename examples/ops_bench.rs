//! Micro-benchmark of the fused ops of `incontext::ops` against the same maths composed from
//! candle ops, and of candle's matmul on the training step's shapes (ISSUE 3, "Speed";
//! reference config: batch 64 × 80 tokens, 128 wide, 4 heads, MLP 512).
//!
//! `cargo run --release --example ops_bench [-- REPS]` prints, per op, the median milliseconds of
//! REPS runs (default 30) of the forward pass and of forward + backward (through a `Var`, loss
//! Σ y ⊙ W), and GFLOP/s for the matmuls. Threads: `RAYON_NUM_THREADS` (candle and the fused
//! ops both honour it).

use candle_core::{D, DType, Device, Tensor, Var};
use incontext::ops::{self, AttentionMask};
use std::time::Instant;

type Op = Box<dyn Fn(&Tensor) -> candle_core::Result<Tensor>>;

/// Median wall-clock milliseconds of `reps` calls of `f` (after one warm-up call).
fn median_ms(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[reps / 2]
}

/// (forward ms, forward + backward ms) of `op` on `x`.
fn time_op(reps: usize, x: &Tensor, op: &Op) -> (f64, f64) {
    let var = Var::from_tensor(x).unwrap();
    let w = Tensor::randn(0f32, 1.0, op(x).unwrap().shape(), &Device::Cpu).unwrap();
    let fwd = median_ms(reps, || {
        op(var.as_tensor()).unwrap();
    });
    let both = median_ms(reps, || {
        let loss = (op(var.as_tensor()).unwrap() * &w).unwrap().sum_all().unwrap();
        let grads = loss.backward().unwrap();
        assert!(grads.get(&var).is_some(), "no gradient reached the input");
    });
    (fwd, both)
}

fn main() -> candle_core::Result<()> {
    let reps: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(30);
    let dev = Device::Cpu;
    let (rows, c, hidden) = (64 * 80, 128, 512);
    let gamma = Tensor::randn(1f32, 0.1, c, &dev)?;
    let beta = Tensor::randn(0f32, 0.1, c, &dev)?;
    let causal_bias = Tensor::tril2(80, DType::U8, &dev)?;
    let causal_bias = causal_bias.where_cond(
        &Tensor::zeros((80, 80), DType::F32, &dev)?,
        &Tensor::full(f32::NEG_INFINITY, (80, 80), &dev)?,
    )?;

    let (g1, b1) = (gamma.clone(), beta.clone());
    let (g2, b2) = (gamma.clone(), beta.clone());
    let cases: Vec<(&str, Tensor, Op, Op)> = vec![
        (
            "layer_norm [5120, 128]",
            Tensor::randn(0f32, 1.0, (rows, c), &dev)?,
            Box::new(move |x| ops::layer_norm(x, &g1, &b1, 1e-5)),
            Box::new(move |x| {
                let centred = x.broadcast_sub(&x.mean_keepdim(D::Minus1)?)?;
                let var = centred.sqr()?.mean_keepdim(D::Minus1)?;
                centred.broadcast_div(&(var + 1e-5)?.sqrt()?)?.broadcast_mul(&g2)?.broadcast_add(&b2)
            }),
        ),
        (
            "causal softmax [64, 4, 80, 80]",
            Tensor::randn(0f32, 1.0, (64, 4, 80, 80), &dev)?,
            Box::new(|x| ops::softmax_last_dim(x, AttentionMask::Causal)),
            Box::new(move |x| candle_nn::ops::softmax(&x.broadcast_add(&causal_bias)?, D::Minus1)),
        ),
        (
            "gelu [5120, 512]",
            Tensor::randn(0f32, 1.0, (rows, hidden), &dev)?,
            Box::new(ops::gelu),
            Box::new(|x| x.gelu()),
        ),
    ];
    println!("threads: {} (RAYON_NUM_THREADS), median of {reps} runs, ms", candle_core::utils::get_num_threads());
    println!("{:<32} {:>10} {:>10} {:>12} {:>12}", "op", "fused fwd", "fused f+b", "composed fwd", "composed f+b");
    for (name, x, fused, composed) in &cases {
        let (ff, fb) = time_op(reps, x, fused);
        let (cf, cb) = time_op(reps, x, composed);
        println!("{name:<32} {ff:>10.3} {fb:>10.3} {cf:>12.3} {cb:>12.3}");
    }

    // Matmuls of one training step (per layer): forward x·Wᵀ and the two backward products.
    println!("\nmatmul (candle gemm), median ms and GFLOP/s");
    let mm = |name: &str, a: &Tensor, b: &Tensor| -> candle_core::Result<()> {
        let (m, k) = (a.dim(D::Minus2)?, a.dim(D::Minus1)?);
        let n = b.dim(D::Minus1)?;
        let batch: usize = a.dims()[..a.rank() - 2].iter().product();
        let ms = median_ms(reps, || {
            a.matmul(b).unwrap();
        });
        let gflops = 2.0 * (batch * m * n * k) as f64 / (ms * 1e-3) / 1e9;
        println!("{name:<52} {ms:>8.3} ms {gflops:>7.1} GFLOP/s");
        Ok(())
    };
    let x = Tensor::randn(0f32, 1.0, (rows, c), &dev)?;
    let xh = Tensor::randn(0f32, 1.0, (rows, hidden), &dev)?;
    for (out, input, x) in [(3 * c, c, &x), (c, c, &x), (hidden, c, &x), (c, hidden, &xh)] {
        let w = Tensor::randn(0f32, 1.0, (out, input), &dev)?;
        let g = Tensor::randn(0f32, 1.0, (rows, out), &dev)?;
        mm(&format!("fwd   x[{rows},{input}] · Wᵀ[{input},{out}]"), x, &w.t()?)?;
        mm(&format!("dx    g[{rows},{out}] · W[{out},{input}]"), &g, &w)?;
        mm(&format!("dW    gᵀ[{out},{rows}] · x[{rows},{input}]"), &g.t()?, x)?;
    }
    let q = Tensor::randn(0f32, 1.0, (64, 4, 80, 32), &dev)?;
    let att = Tensor::randn(0f32, 1.0, (64, 4, 80, 80), &dev)?;
    mm("scores q[256,80,32] · kᵀ[256,32,80]", &q, &q.t()?)?;
    mm("att[256,80,80] · v[256,80,32]", &att, &q)?;
    mm("d att: g[256,80,32] · vᵀ[256,32,80]", &q, &q.t()?.contiguous()?)?;
    mm("d v: attᵀ[256,80,80] · g[256,80,32]", &att.t()?, &q)?;
    Ok(())
}
