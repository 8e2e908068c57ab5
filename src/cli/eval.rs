//! `incontext eval`: scores predictors on seeded prompts with `incontext::eval`.

use incontext::Result;
use incontext::baselines::default_baselines;
use incontext::eval::{
    DEFAULT_LEVEL, DEFAULT_PROMPTS, DEFAULT_RESAMPLES, EvalConfig, Evaluation, resolve_predictor, split_predictor_list,
    write_report,
};
use incontext::tasks::{Mixture, NoiseRange};
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `incontext eval`.
#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    /// Pretraining mixture the predictors are built for, e.g. `linear` or
    /// `linear:0.5,sparse_linear(s=2):0.5`.
    #[arg(long)]
    pub mixture: String,
    /// Input dimension d.
    #[arg(long)]
    pub d: usize,
    /// Active input coordinates (the rest are zero-padded); defaults to d.
    #[arg(long)]
    pub d_eff: Option<usize>,
    /// Points per prompt n; NSE(k) is reported for k = 0 … n − 1.
    #[arg(long)]
    pub points: usize,
    /// Comma-separated predictors, e.g. `least_squares,lasso(alpha=0.01),bayes`; defaults to
    /// the baselines relevant to the mixture.
    #[arg(long)]
    pub predictors: Option<String>,
    /// Number of evaluation prompts (SPEC.md asks for at least 1280).
    #[arg(long, default_value_t = DEFAULT_PROMPTS)]
    pub prompts: usize,
    /// Seed of the prompts and the bootstrap resamples (recorded in report.json).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Observation noise: `lo,hi` (σ ~ U[lo, hi] per prompt) or a single σ.
    #[arg(long, default_value = "0,0", value_parser = super::parse_noise)]
    pub noise: NoiseRange,
    /// Draw the prompts from this family or mixture instead of `--mixture` (out-of-distribution
    /// evaluation, e.g. `convex(alpha=0.5,linear,sinusoid)`).
    #[arg(long)]
    pub eval_family: Option<String>,
    /// Bootstrap resamples per interval.
    #[arg(long, default_value_t = DEFAULT_RESAMPLES)]
    pub resamples: usize,
    /// Folder for report.json and the SVG figures.
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs the evaluation, prints the NSE table, and writes the report.
///
/// # Errors
/// Bad specs or names ([`incontext::Error::InvalidInput`]), predictor failures, I/O errors.
pub fn run(args: &EvalArgs) -> Result<()> {
    let mixture = Mixture::parse(&args.mixture)?;
    let eval_mixture = match &args.eval_family {
        Some(spec) => Mixture::parse(spec)?,
        None => mixture.clone(),
    };
    let d_eff = args.d_eff.unwrap_or(args.d);
    let names = match &args.predictors {
        Some(list) => split_predictor_list(list)?,
        None => default_baselines(&mixture),
    };
    let predictors =
        names.iter().map(|name| resolve_predictor(name, &mixture, args.noise, d_eff)).collect::<Result<Vec<_>>>()?;
    let evaluation = Evaluation::new(EvalConfig {
        mixture,
        eval_mixture,
        d: args.d,
        d_eff,
        points: args.points,
        prompts: args.prompts,
        noise: args.noise,
        seed: args.seed,
        resamples: args.resamples,
        level: DEFAULT_LEVEL,
    })?;
    let mut reports = Vec::with_capacity(predictors.len());
    for predictor in &predictors {
        let start = Instant::now();
        reports.push(evaluation.evaluate(predictor.as_ref())?);
        eprintln!("{}: {:.1} s", predictor.name(), start.elapsed().as_secs_f64());
    }
    let report = evaluation.report(reports);
    println!(
        "NSE(k), mean [{:.0}% bootstrap interval] over {} prompts of {} (seed {})",
        report.level * 100.0,
        report.prompts,
        report.eval_mixture,
        report.seed
    );
    print!("{}", report.nse_table());
    print!("{}", report.distribution_summary());
    for path in write_report(&report, &args.out)? {
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
