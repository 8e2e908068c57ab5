//! `incontext bench <what>`: speed benchmarks.

use incontext::Result;
use incontext::train::{BenchTrainArgs, bench_train};

/// Arguments of `incontext bench`.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub what: BenchWhat,
}

/// What to benchmark.
#[derive(clap::Subcommand, Debug)]
pub enum BenchWhat {
    /// Seconds per training step (fresh batch + forward + backward + AdamW) for the reference
    /// config (presets/bench.toml), the phase split and peak RSS. `./build.sh bench train` runs
    /// it beside the PyTorch reference and prints the ratio.
    Train(BenchTrainArgs),
}

/// Runs the chosen benchmark and prints its report.
///
/// # Errors
/// As the benchmark.
pub fn run(args: &BenchArgs) -> Result<()> {
    match &args.what {
        BenchWhat::Train(a) => println!("{}", bench_train(a)?),
    }
    Ok(())
}
