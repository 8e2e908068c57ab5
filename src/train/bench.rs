//! `incontext bench train`: seconds per training step (fresh batch + forward + backward +
//! AdamW) for the reference configuration (`presets/bench.toml`), with a per-phase breakdown
//! and peak resident memory.

use super::presets::preset;
use super::trainer::{PhaseTimes, Trainer};
use crate::error::{Result, invalid};
use std::fmt;

/// Result of the training benchmark.
#[derive(Clone, Debug, PartialEq)]
pub struct BenchReport {
    /// The benchmarked configuration in words.
    pub setup: String,
    /// Median wall-clock seconds per step.
    pub median_seconds: f64,
    /// Median seconds of each phase (medians taken per phase).
    pub phases: PhaseTimes,
    /// Timed steps.
    pub steps: usize,
    /// Untimed warm-up steps.
    pub warmup: usize,
    /// Scalar parameters of the model.
    pub parameters: usize,
    /// Threads candle and the fused ops use.
    pub threads: usize,
    /// Peak resident set size in KiB (`VmHWM` of /proc/self/status; `None` where unavailable).
    pub peak_rss_kib: Option<u64>,
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        0.5 * (values[n / 2 - 1] + values[n / 2])
    }
}

/// Peak resident set size of this process in KiB, from `VmHWM` in /proc/self/status (Linux).
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Times `warmup` untimed, then `steps` timed training steps of the `bench` preset.
///
/// # Errors
/// [`crate::Error::InvalidInput`] for zero timed steps; training errors.
pub fn bench_train(warmup: usize, steps: usize) -> Result<BenchReport> {
    if steps == 0 {
        return invalid("--steps must be at least 1");
    }
    super::allocator::keep_freed_memory();
    let mut config = preset("bench")?;
    config.steps = (warmup + steps) as u64;
    let mut trainer = Trainer::new(config, "bench")?;
    for _ in 0..warmup {
        trainer.train_step()?;
    }
    let times = (0..steps)
        .map(|_| Ok(trainer.train_step()?.times))
        .collect::<Result<Vec<PhaseTimes>>>()?;
    let phase = |f: fn(&PhaseTimes) -> f64| median(times.iter().map(f).collect());
    let (c, m) = (trainer.config(), &trainer.config().model);
    let setup = format!(
        "{} layers, {} wide, {} heads, batch {}, {} points ({} tokens), d = {}",
        m.n_layer,
        m.n_embd,
        m.n_head,
        c.batch_size,
        m.max_points,
        2 * m.max_points,
        m.n_dims
    );
    Ok(BenchReport {
        setup,
        median_seconds: median(times.iter().map(PhaseTimes::total).collect()),
        phases: PhaseTimes {
            sample: phase(|t| t.sample),
            forward: phase(|t| t.forward),
            backward: phase(|t| t.backward),
            optimizer: phase(|t| t.optimizer),
        },
        steps,
        warmup,
        parameters: trainer.parameter_count(),
        threads: candle_core::utils::get_num_threads(),
        peak_rss_kib: peak_rss_kib(),
    })
}

impl fmt::Display for BenchReport {
    /// Human-readable lines, then `rust_s_per_step=<median>` for scripts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.phases;
        writeln!(
            f,
            "incontext train step: {}; {} parameters; {} threads",
            self.setup, self.parameters, self.threads
        )?;
        writeln!(
            f,
            "median {:.4} s/step over {} steps after {} warm-up steps",
            self.median_seconds, self.steps, self.warmup
        )?;
        writeln!(
            f,
            "phases (medians): sample {:.1} ms, forward+loss {:.1} ms, backward {:.1} ms, optimizer {:.1} ms",
            p.sample * 1e3,
            p.forward * 1e3,
            p.backward * 1e3,
            p.optimizer * 1e3
        )?;
        match self.peak_rss_kib {
            Some(kib) => writeln!(f, "peak RSS {:.1} MiB", kib as f64 / 1024.0)?,
            None => writeln!(f, "peak RSS unavailable (no /proc/self/status)")?,
        }
        write!(f, "rust_s_per_step={:.6}", self.median_seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
    }
}
