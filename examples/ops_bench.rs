//! Micro-benchmark of the fused ops of `incontext::ops` against the same maths composed from
//! candle ops, and of candle's matmul on the training step's shapes (the training-speed benchmark;
//! reference config: batch 64 × 80 tokens, 128 wide, 4 heads, MLP 512).
//!
//! `cargo run --release --example ops_bench [-- REPS [FILTER]]` prints, per op, the median milliseconds of
//! REPS runs (default 30) of the forward pass and of forward + backward (through a `Var`, loss
//! Σ y ⊙ W), and GFLOP/s for the matmuls. Threads: `RAYON_NUM_THREADS` (candle and the fused
//! ops both honour it); with `RAYON_NUM_THREADS=1` on Linux the times are the thread's CPU time,
//! which stays meaningful on a machine shared with other jobs.

use candle_core::{D, DType, Device, Module, Tensor, Var};
use incontext::ops::{self, AttentionMask};
use std::time::Instant;

type Op = Box<dyn Fn(&Tensor) -> candle_core::Result<Tensor>>;

/// Attention as the model composes it from candle ops: split heads, scale, q·kᵀ, causal
/// softmax (the fused one), ·v, merge heads. `qkv` [b, t, 3E] with 4 heads → [b, t, E].
fn composed_attention(qkv: &Tensor) -> candle_core::Result<Tensor> {
    let (b, t, three_e) = qkv.dims3()?;
    let (e, h) = (three_e / 3, 4);
    let hd = e / h;
    let qkv = qkv.reshape((b, t, 3, h, hd))?.permute((2, 0, 3, 1, 4))?; // [3, b, h, t, hd]
    let q = (qkv.get(0)?.contiguous()? * (1.0 / (hd as f64).sqrt()))?;
    let k = qkv.get(1)?.contiguous()?;
    let v = qkv.get(2)?.contiguous()?;
    let att = ops::softmax_last_dim(&q.matmul(&k.t()?)?, AttentionMask::Causal)?; // [b, h, t, t]
    att.matmul(&v)?.transpose(1, 2)?.reshape((b, t, e))
}

/// Nanoseconds the calling thread has spent on a CPU (`CLOCK_THREAD_CPUTIME_ID`, Linux).
#[cfg(target_os = "linux")]
fn thread_cpu_ns() -> Option<u64> {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    unsafe extern "C" {
        fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut ts = Timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: glibc's clock_gettime writes one timespec (two 64-bit fields on 64-bit Linux)
    // through a valid pointer.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64)
}

#[cfg(not(target_os = "linux"))]
fn thread_cpu_ns() -> Option<u64> {
    None
}

/// Whether timings are the calling thread's CPU time rather than wall-clock time: with one
/// thread (`RAYON_NUM_THREADS=1`) all work runs on the calling thread, and its CPU time does not
/// count the time other processes on a shared machine hold the core.
fn use_cpu_time() -> bool {
    candle_core::utils::get_num_threads() == 1 && thread_cpu_ns().is_some()
}

/// Median milliseconds of `reps` calls of `f` (after one warm-up call): CPU time of the calling
/// thread when [`use_cpu_time`], else wall-clock time.
fn median_ms(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let cpu = use_cpu_time();
    let mut times: Vec<f64> = (0..reps)
        .map(|_| {
            let (t, c) = (Instant::now(), thread_cpu_ns().filter(|_| cpu));
            f();
            match (c, thread_cpu_ns()) {
                (Some(c0), Some(c1)) => (c1 - c0) as f64 * 1e-6,
                _ => t.elapsed().as_secs_f64() * 1e3,
            }
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

/// Parameters of one pre-LN GPT-2 block (E = 128, MLP 4E), as `Var`s.
#[derive(Clone)]
struct Block {
    ln1: (Tensor, Tensor),
    attn: (Tensor, Tensor),
    proj: (Tensor, Tensor),
    ln2: (Tensor, Tensor),
    fc: (Tensor, Tensor),
    fc_proj: (Tensor, Tensor),
}

impl Block {
    fn new(e: usize) -> candle_core::Result<Self> {
        let dev = Device::Cpu;
        let var = |t: Tensor| -> candle_core::Result<Tensor> { Ok(Var::from_tensor(&t)?.as_tensor().clone()) };
        let lin = |o: usize, i: usize| -> candle_core::Result<(Tensor, Tensor)> {
            Ok((var(Tensor::randn(0f32, 0.02, (o, i), &dev)?)?, var(Tensor::zeros(o, DType::F32, &dev)?)?))
        };
        let ln = || -> candle_core::Result<(Tensor, Tensor)> {
            Ok((var(Tensor::ones(e, DType::F32, &dev)?)?, var(Tensor::zeros(e, DType::F32, &dev)?)?))
        };
        Ok(Self { ln1: ln()?, attn: lin(3 * e, e)?, proj: lin(e, e)?, ln2: ln()?, fc: lin(4 * e, e)?, fc_proj: lin(e, 4 * e)? })
    }

    /// As `src/model/transformer.rs` builds it from candle ops: candle-nn `Linear`, attention
    /// composed around the fused causal softmax; fused LayerNorm and GELU.
    fn composed(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let lin = |p: &(Tensor, Tensor), x: &Tensor| candle_nn::Linear::new(p.0.clone(), Some(p.1.clone())).forward(x);
        let a = composed_attention(&lin(&self.attn, &ops::layer_norm(x, &self.ln1.0, &self.ln1.1, 1e-5)?)?)?;
        let h = (x + lin(&self.proj, &a)?)?;
        let m = ops::gelu(&lin(&self.fc, &ops::layer_norm(&h, &self.ln2.0, &self.ln2.1, 1e-5)?)?)?;
        &h + lin(&self.fc_proj, &m)?
    }

    /// The same block from the fused ops only.
    fn fused(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let lin = |p: &(Tensor, Tensor), x: &Tensor| ops::linear(x, &p.0, &p.1);
        let a = ops::self_attention(&lin(&self.attn, &ops::layer_norm(x, &self.ln1.0, &self.ln1.1, 1e-5)?)?, 4, &ops::AttentionPattern::Causal)?;
        let h = (x + lin(&self.proj, &a)?)?;
        let m = ops::gelu(&lin(&self.fc, &ops::layer_norm(&h, &self.ln2.0, &self.ln2.1, 1e-5)?)?)?;
        &h + lin(&self.fc_proj, &m)?
    }
}

fn main() -> candle_core::Result<()> {
    let reps: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(30);
    // Optional second argument: run only the rows whose name contains it.
    let filter = std::env::args().nth(2).unwrap_or_default();
    let dev = Device::Cpu;
    let (rows, c, hidden) = (64 * 80, 128, 512);
    let gamma = Tensor::randn(1f32, 0.1, c, &dev)?;
    let beta = Tensor::randn(0f32, 0.1, c, &dev)?;
    let causal_bias = Tensor::tril2(80, DType::U8, &dev)?;
    let causal_bias = causal_bias.where_cond(
        &Tensor::zeros((80, 80), DType::F32, &dev)?,
        &Tensor::full(f32::NEG_INFINITY, (80, 80), &dev)?,
    )?;

    // Weights are variables, so that both versions compute their gradients too.
    let weight = Var::from_tensor(&(Tensor::randn(0f32, 0.02, (3 * c, c), &dev)?))?.as_tensor().clone();
    let bias = Var::zeros(3 * c, DType::F32, &dev)?.as_tensor().clone();
    let (w1, lb1, w2, lb2) = (weight.clone(), bias.clone(), weight, bias);
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
        (
            "linear [5120, 128] -> 384",
            Tensor::randn(0f32, 1.0, (64, 80, c), &dev)?,
            Box::new(move |x| ops::linear(x, &w1, &lb1)),
            Box::new(move |x| candle_nn::Linear::new(w2.clone(), Some(lb2.clone())).forward(x)),
        ),
        (
            "attention qkv [64, 80, 384], 4 heads",
            Tensor::randn(0f32, 1.0, (64, 80, 3 * c), &dev)?,
            Box::new(|x| ops::self_attention(x, 4, &ops::AttentionPattern::Causal)),
            Box::new(composed_attention),
        ),
    ];
    let clock = if use_cpu_time() { "CPU time of the calling thread" } else { "wall clock" };
    println!("threads: {} (RAYON_NUM_THREADS), median of {reps} runs, ms of {clock}", candle_core::utils::get_num_threads());
    println!("{:<32} {:>10} {:>10} {:>12} {:>12}", "op", "fused fwd", "fused f+b", "composed fwd", "composed f+b");
    for (name, x, fused, composed) in cases.iter().filter(|c| c.0.contains(&filter)) {
        let (ff, fb) = time_op(reps, x, fused);
        let (cf, cb) = time_op(reps, x, composed);
        println!("{name:<32} {ff:>10.3} {fb:>10.3} {cf:>12.3} {cb:>12.3}");
    }

    // Four blocks, forward and forward + backward, the model's way and fused.
    let blocks = (0..4).map(|_| Block::new(c)).collect::<candle_core::Result<Vec<_>>>()?;
    let stack = |fused: bool| -> Op {
        let blocks = blocks.clone();
        Box::new(move |x| {
            let mut h = x.clone();
            for b in &blocks {
                h = if fused { b.fused(&h)? } else { b.composed(&h)? };
            }
            Ok(h)
        })
    };
    let name = "4 GPT-2 blocks [64, 80, 128]";
    if name.contains(&filter) {
        let x = Tensor::randn(0f32, 1.0, (64, 80, c), &dev)?;
        let (ff, fb) = time_op(reps, &x, &stack(true));
        let (cf, cb) = time_op(reps, &x, &stack(false));
        println!("{name:<32} {ff:>10.3} {fb:>10.3} {cf:>12.3} {cb:>12.3}");
    }
    if !"matmul".contains(&filter) {
        return Ok(());
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
