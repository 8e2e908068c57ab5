//! `incontext bench <what>`: speed benchmarks.

use incontext::Result;
use incontext::train::bench_train;

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
    /// The NLL floor of the bar head for several bin counts on a preset's prior (how close any
    /// bar distribution on those bins can come to the exact Bayes posterior) and each count's
    /// cost per query.
    Head(BenchHeadArgs),
}

/// Runs the chosen benchmark and prints its report.
///
/// # Errors
/// As the benchmark.
pub fn run(args: &BenchArgs) -> Result<()> {
    match &args.what {
        BenchWhat::Train(a) => println!("{}", bench_train(a.warmup, a.steps)?),
        BenchWhat::Head(a) => println!("{}", head_resolution(a)?),
    }
    Ok(())
}

/// Arguments of `incontext bench train`.
#[derive(clap::Args, Debug)]
pub struct BenchTrainArgs {
    /// Untimed steps first (allocator and caches warm up).
    #[arg(long, default_value_t = 3)]
    pub warmup: usize,
    /// Timed steps.
    #[arg(long, default_value_t = 10)]
    pub steps: usize,
}

/// Arguments of `incontext bench head`.
#[derive(clap::Args, Debug)]
pub struct BenchHeadArgs {
    /// The preset whose prior (mixture, noise, d, points) and architecture are measured.
    #[arg(long, default_value = "linear+sinusoid")]
    pub preset: String,
    /// Bin counts to compare, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "100,250,500,1000")]
    pub bins: Vec<usize>,
    /// Evaluation prompts per bin count.
    #[arg(long, default_value_t = incontext::eval::DEFAULT_PROMPTS)]
    pub prompts: usize,
    /// Seed of the prompts (the borders use the preset's seed, as training does).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// The head-resolution table: for each bin count K, the NLL floor (the exact Bayes posterior
/// projected on the K quantile bins of the preset's prior, the best any bar head on them can
/// reach; mean over k = 1 … n − 1) against Bayes itself, and the native seconds per query of the
/// preset's architecture with K bins (untrained weights; a 40-point context, 256 queries).
///
/// # Errors
/// An unknown preset, a bin count below 4, evaluation failures.
pub fn head_resolution(args: &BenchHeadArgs) -> Result<String> {
    use incontext::eval::{Averages, BarFloor, EvalConfig, Evaluation, resolve_predictor};
    use incontext::model::{InferenceSession, bar_borders};
    use incontext::tasks::Context;
    use incontext::train::{Trainer, preset};
    use std::time::Instant;

    let config = preset(&args.preset)?;
    let (mixture, noise, d) = (config.mixture()?, config.noise, config.model.n_dims);
    let evaluation = Evaluation::new(EvalConfig {
        prompts: args.prompts,
        noise,
        seed: args.seed,
        ..EvalConfig::new(mixture.clone(), d, config.model.max_points)
    })?;
    let bayes = resolve_predictor("bayes", &mixture, noise, d)?;
    let bayes_nll = Averages::of(&evaluation.evaluate(bayes.as_ref())?).nll.unwrap_or(f64::NAN);
    let mut out = format!(
        "Head resolution on the prior of preset '{}' ({mixture}, noise {noise:?}, d = {d}), {} prompts, seed {}: mean NLL over k = 1 … {}; Bayes {bayes_nll:.4}\n\n| bins | NLL floor | floor − Bayes | ms per query (native, 1 thread) |\n|---|---|---|---|\n",
        args.preset,
        args.prompts,
        args.seed,
        config.model.max_points - 1,
    );
    for &bins in &args.bins {
        let borders = bar_borders(&mixture, noise, d, bins, config.seed)?;
        let floor = BarFloor::new(resolve_predictor("bayes", &mixture, noise, d)?, borders);
        let floor_nll = Averages::of(&evaluation.evaluate(&floor)?).nll.unwrap_or(f64::NAN);
        let mut arch = config.clone();
        arch.model.bins = bins;
        let trainer = Trainer::new(arch, &args.preset)?;
        let prompt = &evaluation.prompts()[0];
        let k = config.model.max_points - 1;
        let context = Context::new(d, &prompt.xs[..k * d], &prompt.ys[..k])?;
        let queries: Vec<f64> = (0..256 * d).map(|i| -3.0 + 6.0 * (i / d) as f64 / 255.0).collect();
        let session = InferenceSession::new(trainer.model(), &context)?;
        session.predict(&queries)?; // warm-up
        let reps = 20;
        let start = Instant::now();
        for _ in 0..reps {
            session.predict(&queries)?;
        }
        let per_query_ms = start.elapsed().as_secs_f64() * 1e3 / (reps * 256) as f64;
        out += &format!("| {bins} | {floor_nll:.4} | {:+.4} | {per_query_ms:.4} |\n", floor_nll - bayes_nll);
    }
    Ok(out)
}
