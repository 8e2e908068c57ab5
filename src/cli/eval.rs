//! `incontext eval`: scores predictors on seeded prompts with `incontext::eval`.

use incontext::error::read_file;
use incontext::model::{ModelMeta, read_meta};
use incontext::{Error, Result};
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
    /// A trained model (`.safetensors`): evaluates it beside the baselines, and takes the
    /// mixture, d, points and noise range from its metadata unless they are given.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Pretraining mixture the predictors are built for, e.g. `linear` or
    /// `linear:0.5,sparse_linear(s=2):0.5` (required without `--model`).
    #[arg(long)]
    pub mixture: Option<String>,
    /// Input dimension d (required without `--model`).
    #[arg(long)]
    pub d: Option<usize>,
    /// Active input coordinates (the rest are zero-padded); defaults to d.
    #[arg(long)]
    pub d_eff: Option<usize>,
    /// Points per prompt n; NSE(k) is reported for k = 0 … n − 1 (required without `--model`).
    #[arg(long)]
    pub points: Option<usize>,
    /// Comma-separated predictors, e.g. `least_squares,lasso(alpha=0.01),bayes`; defaults to
    /// the baselines relevant to the mixture.
    #[arg(long)]
    pub predictors: Option<String>,
    /// Number of evaluation prompts (at least 1280; docs/SCIENCE.md, "Metrics").
    #[arg(long, default_value_t = DEFAULT_PROMPTS)]
    pub prompts: usize,
    /// Seed of the prompts and the bootstrap resamples (recorded in report.json).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Observation noise: `lo,hi` (σ ~ U[lo, hi] per prompt) or a single σ; defaults to the
    /// model's pretraining noise, else none.
    #[arg(long, value_parser = super::parse_noise)]
    pub noise: Option<NoiseRange>,
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

/// The baselines are built for `mixture`, the prior the model must share: a different
/// `--mixture` would compare the model with the Bayes posterior of another prior. Prompts from
/// elsewhere go through `--eval-family`.
fn check_against_model(meta: &ModelMeta, mixture: &Mixture, d: usize, points: usize) -> Result<()> {
    if *mixture != meta.mixture {
        return Err(Error::InvalidInput(format!(
            "--mixture {mixture} is not the model's pretraining mixture ({}); the baselines and the Bayes posterior must share the model's prior. To draw the prompts from another family or mixture, keep --mixture out and use --eval-family {mixture}",
            meta.mixture
        )));
    }
    if d != meta.config.n_dims {
        return Err(Error::InvalidInput(format!("--d {d} does not match the model's input dimension {}", meta.config.n_dims)));
    }
    if points > meta.config.max_points {
        return Err(Error::InvalidInput(format!(
            "--points {points} exceeds the model's {} points per prompt",
            meta.config.max_points
        )));
    }
    Ok(())
}

/// Runs the evaluation, prints the NSE table, and writes the report.
///
/// # Errors
/// Bad specs or names ([`incontext::Error::InvalidInput`]), predictor failures, I/O errors.
pub fn run(args: &EvalArgs) -> Result<()> {
    if args.out.is_file() {
        return Err(Error::InvalidInput(format!(
            "--out {} is a file; give a folder for report.json and the figures",
            args.out.display()
        )));
    }
    // Created before the evaluation, so an unwritable place fails in a second, not after it.
    std::fs::create_dir_all(&args.out).map_err(|source| Error::Io { path: args.out.display().to_string(), source })?;
    let model = match &args.model {
        Some(path) => Some((path.display().to_string(), read_meta(&read_file(path)?)?)),
        None => None,
    };
    let meta = model.as_ref().map(|(_, meta)| meta);
    let required = |what: &str| Error::InvalidInput(format!("--{what} is required without --model"));
    let mixture = match (&args.mixture, meta) {
        (Some(text), _) => Mixture::parse(text)?,
        (None, Some(meta)) => meta.mixture.clone(),
        (None, None) => return Err(required("mixture")),
    };
    let d = args.d.or(meta.map(|m| m.config.n_dims)).ok_or_else(|| required("d"))?;
    let points = args.points.or(meta.map(|m| m.config.max_points)).ok_or_else(|| required("points"))?;
    if let Some(meta) = meta {
        check_against_model(meta, &mixture, d, points)?;
    }
    let noise = args.noise.or(meta.map(|m| m.noise)).unwrap_or(NoiseRange::NONE);
    let eval_mixture = match &args.eval_family {
        Some(spec) => Mixture::parse(spec)?,
        None => mixture.clone(),
    };
    let d_eff = args.d_eff.unwrap_or(d);
    let mut names = match &args.predictors {
        Some(list) => split_predictor_list(list)?,
        None => default_baselines(&mixture),
    };
    if let Some((path, _)) = &model {
        names.insert(0, format!("transformer:{path}"));
    }
    let predictors =
        names.iter().map(|name| resolve_predictor(name, &mixture, noise, d_eff)).collect::<Result<Vec<_>>>()?;
    let evaluation = Evaluation::new(EvalConfig {
        mixture,
        eval_mixture,
        d,
        d_eff,
        points,
        prompts: args.prompts,
        noise,
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
        report.config.level * 100.0,
        report.config.prompts,
        report.config.eval_mixture,
        report.config.seed
    );
    print!("{}", report.nse_table());
    print!("{}", report.distribution_summary());
    for path in write_report(&report, &args.out)? {
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
