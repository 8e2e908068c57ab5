//! `incontext reproduce`: runs experiments E1–E8 with `incontext::reproduce`.

use incontext::Result;
use incontext::reproduce::{EXPERIMENTS, Options, experiment, run_experiment};
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `incontext reproduce`.
#[derive(clap::Args, Debug)]
pub struct ReproduceArgs {
    /// Experiments to run: E1 … E8, or `all` (the default).
    #[arg(value_name = "EXPERIMENT")]
    pub experiments: Vec<String>,
    /// Toy scale (1-layer 16-wide models, 40 steps, 32 prompts): all experiments in seconds;
    /// results go to docs/results/quick/ unless --out is given.
    #[arg(long)]
    pub quick: bool,
    /// Total training steps of every model trained (a compute budget; recorded in the results).
    /// Without it, each preset's own step count (6000).
    #[arg(long)]
    pub steps: Option<u64>,
    /// Use the shipped 1-D model-zoo models (www/models/) where an experiment allows it,
    /// instead of training the 1-D reproduction presets.
    #[arg(long)]
    pub zoo: bool,
    /// Train nothing: evaluate the models that are already trained (or in the zoo) and
    /// record what was left out.
    #[arg(long)]
    pub no_train: bool,
    /// Prompts per evaluation (default 1280; 32 with --quick).
    #[arg(long)]
    pub prompts: Option<usize>,
    /// Seed of the evaluation prompts and bootstrap resamples.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Results folder (default docs/results, or docs/results/quick with --quick).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Models folder: weights, configs, checkpoints and logs (default docs/models, or
    /// <out>/models with --quick).
    #[arg(long)]
    pub models: Option<PathBuf>,
}

/// Runs the experiments in order and prints where their results went.
///
/// # Errors
/// An unknown experiment id; as [`run_experiment`].
pub fn run(args: &ReproduceArgs) -> Result<()> {
    let all = args.experiments.is_empty() || args.experiments.iter().any(|e| e.eq_ignore_ascii_case("all"));
    let defs = if all { EXPERIMENTS.iter().collect() } else { args.experiments.iter().map(|e| experiment(e)).collect::<Result<Vec<_>>>()? };
    let (out_default, models_default) =
        if args.quick { ("docs/results/quick", "docs/results/quick/models") } else { ("docs/results", "docs/models") };
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from(out_default));
    let options = Options {
        quick: args.quick,
        steps: args.steps,
        zoo: args.zoo,
        no_train: args.no_train,
        prompts: args.prompts,
        seed: args.seed,
        models: args.models.clone().unwrap_or_else(|| if args.quick { out.join("models") } else { PathBuf::from(models_default) }),
        models_label: models_default.to_string(),
        out,
    };
    for def in defs {
        let start = Instant::now();
        let (output, files) = run_experiment(def, &options)?;
        eprintln!("{}: {:.1} s", def.id, start.elapsed().as_secs_f64());
        for table in &output.tables {
            println!("{}: {}", def.id, table.caption);
        }
        for f in files {
            println!("wrote {}", f.display());
        }
    }
    Ok(())
}
