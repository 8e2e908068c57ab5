//! `incontext train`: the training loop with checkpoints and a CSV log, reporting its progress
//! to the caller (the program draws a progress bar from it, src/cli/train.rs).

use super::config::TrainConfig;
use super::presets::preset;
use super::trainer::{StepStats, Trainer};
use crate::error::{Error, Result, invalid, read_file, write_file};
use candle_core::DType;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments of `incontext train` (its command-line options with the `cli` feature).
#[derive(Clone, Debug, Default)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct TrainArgs {
    /// A built-in preset (see presets/; e.g. quick, linear, mixture-4, e1-linear).
    #[cfg_attr(feature = "cli", arg(long, conflicts_with = "config"))]
    pub preset: Option<String>,
    /// A training config in the presets' TOML schema.
    #[cfg_attr(feature = "cli", arg(long))]
    pub config: Option<PathBuf>,
    /// Total optimiser steps (overrides the config's `steps`).
    #[cfg_attr(feature = "cli", arg(long))]
    pub steps: Option<u64>,
    /// Continue from a checkpoint (`<out>.ckpt.safetensors`); its stored config is used, and a
    /// --preset/--config given as well must match it (apart from `steps`).
    #[cfg_attr(feature = "cli", arg(long))]
    pub resume: Option<PathBuf>,
    /// The final model file; checkpoints go to `<out stem>.ckpt.safetensors` and the log to
    /// `<out stem>.log.csv` beside it.
    #[cfg_attr(feature = "cli", arg(long))]
    pub out: PathBuf,
    /// Storage precision of the final model file (checkpoints always keep f32 weights and the
    /// optimiser state). `f16` halves the download; resuming a finished checkpoint with
    /// `--dtype f16` re-exports it without training.
    #[cfg_attr(feature = "cli", arg(long, value_enum, default_value_t))]
    pub dtype: StorageDtype,
}

/// Storage precision of a final model file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum StorageDtype {
    /// 32-bit floats, exactly the trained weights.
    #[default]
    F32,
    /// 16-bit floats (IEEE half): half the bytes, weights rounded to 11 significant bits.
    F16,
}

impl StorageDtype {
    fn dtype(self) -> DType {
        match self {
            Self::F32 => DType::F32,
            Self::F16 => DType::F16,
        }
    }
}

/// What a finished run produced.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainSummary {
    /// Steps completed in total.
    pub steps: u64,
    /// Loss of the last step taken in this invocation (`None` if the checkpoint was already
    /// at the final step).
    pub final_loss: Option<f64>,
    /// Wall-clock seconds of this invocation.
    pub seconds: f64,
    /// The final model file.
    pub model: PathBuf,
    /// The last checkpoint.
    pub checkpoint: PathBuf,
    /// The CSV log.
    pub log: PathBuf,
}

/// `out` with its `.safetensors` extension (if any) replaced by `suffix`:
/// `m.safetensors` → `m.ckpt.safetensors`.
fn sibling(out: &Path, suffix: &str) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(".safetensors").unwrap_or(&name);
    out.with_file_name(format!("{stem}.{suffix}"))
}

/// Where the periodic checkpoints of a run writing `out` go.
pub fn checkpoint_path(out: &Path) -> PathBuf {
    sibling(out, "ckpt.safetensors")
}

/// Where the CSV log of a run writing `out` goes.
pub fn log_path(out: &Path) -> PathBuf {
    sibling(out, "log.csv")
}

const LOG_HEADER: &str = "step,loss,bar_nll,family_ce,lr,grad_norm,seconds";

/// Writes `bytes` to `path` through a temporary file and a rename, so an interrupted write
/// never destroys the previous file.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = sibling(path, "tmp");
    write_file(&tmp, bytes)?;
    std::fs::rename(&tmp, path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })
}

fn load_config(args: &TrainArgs) -> Result<Option<(TrainConfig, String)>> {
    match (&args.preset, &args.config) {
        (Some(_), Some(_)) => invalid("give either --preset or --config, not both"),
        (Some(name), None) => Ok(Some((preset(name)?, name.clone()))),
        (None, Some(path)) => {
            let text = String::from_utf8(read_file(path)?)
                .map_err(|_| Error::Format(format!("{}: not UTF-8 text", path.display())))?;
            let config = TrainConfig::from_toml(&text).map_err(|e| match e {
                Error::Format(m) => Error::Format(format!("{}: {m}", path.display())),
                other => other,
            })?;
            Ok(Some((config, path.display().to_string())))
        }
        (None, None) => Ok(None),
    }
}

/// Builds the trainer the arguments ask for: fresh from a preset/config, or restored from a
/// checkpoint; applies `--steps`.
///
/// # Errors
/// [`Error::InvalidInput`] for missing or contradictory arguments; as [`preset`],
/// [`TrainConfig::from_toml`] and [`Trainer::from_checkpoint`].
pub fn prepare(args: &TrainArgs) -> Result<(Trainer, f64)> {
    let given = load_config(args)?;
    let (mut trainer, elapsed) = match (&args.resume, given) {
        (Some(path), given) => {
            let (trainer, state) = Trainer::from_checkpoint(&read_file(path)?)?;
            if let Some((mut config, name)) = given {
                config.steps = trainer.config().steps;
                if &config != trainer.config() {
                    return invalid(format!(
                        "{name} differs from the config stored in {} (only --steps may change on resume)",
                        path.display()
                    ));
                }
            }
            (trainer, state.elapsed_seconds)
        }
        (None, Some((config, name))) => (Trainer::new(config, name)?, 0.0),
        (None, None) => return invalid("give --preset <name> or --config <file.toml> (or --resume <checkpoint>)"),
    };
    if let Some(steps) = args.steps {
        trainer.set_total_steps(steps)?;
    }
    Ok((trainer, elapsed))
}

/// Checks before any work that `out` can be written: not a directory, and in an existing
/// directory (so a long run never fails at its very end).
fn check_out(out: &Path) -> Result<()> {
    if out.is_dir() {
        return invalid(format!(
            "--out {} is a directory; give the model file to write, e.g. {}",
            out.display(),
            out.join("model.safetensors").display()
        ));
    }
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !parent.is_dir() {
        return invalid(format!("the directory of --out, {}, does not exist", parent.display()));
    }
    Ok(())
}

/// The CSV log that belongs to checkpoint `ckpt` (`m.ckpt.safetensors` → `m.log.csv`).
fn log_of_checkpoint(ckpt: &Path) -> PathBuf {
    let name = ckpt.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let stem = name.strip_suffix(".ckpt.safetensors").or(name.strip_suffix(".safetensors")).unwrap_or(&name);
    ckpt.with_file_name(format!("{stem}.log.csv"))
}

/// Opens the CSV log `path`: a new file with a header, or, when resuming at `step`, the rows of
/// steps up to `step` from `previous` (the log beside the checkpoint, which is `path` itself
/// unless the run moves to a new `--out`); rows a crashed run wrote after its last checkpoint go.
fn open_log(path: &Path, previous: &Path, step: u64) -> Result<std::fs::File> {
    let io = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    let mut kept = format!("{LOG_HEADER}\n");
    if step > 0 && previous.exists() {
        let old = String::from_utf8_lossy(&read_file(previous)?).into_owned();
        for line in old.lines().skip(1) {
            match line.split(',').next().and_then(|s| s.parse::<u64>().ok()) {
                Some(s) if s <= step => kept.push_str(&format!("{line}\n")),
                _ => {}
            }
        }
    }
    write_file(path, kept.as_bytes())?;
    std::fs::OpenOptions::new().append(true).open(path).map_err(io)
}

fn log_row(stats: &StepStats, seconds: f64) -> String {
    let l = &stats.losses;
    format!(
        "{},{},{},{},{},{},{:.3}\n",
        stats.step, l.loss, l.bar_nll, l.family_ce, stats.lr, stats.grad_norm, seconds
    )
}

/// Where a run stands after one optimiser step, as [`train`] reports it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainProgress {
    /// Steps done in total, and the run's total.
    pub step: u64,
    pub total: u64,
    /// The step this invocation started from (a resumed run starts past 0).
    pub start_step: u64,
    /// The step's loss.
    pub loss: f64,
    /// Whether a checkpoint was written after this step.
    pub checkpointed: bool,
    /// Wall-clock seconds of this invocation so far.
    pub seconds: f64,
}

impl TrainProgress {
    /// Steps per second in this invocation.
    pub fn rate(&self) -> f64 {
        (self.step - self.start_step) as f64 / self.seconds.max(1e-9)
    }

    /// One line per checkpoint (`step 500/60000  loss 0.4266  9.79 steps/s  ETA 1941 s`), for
    /// logs where a progress bar cannot be drawn; `None` after other steps.
    pub fn checkpoint_line(&self) -> Option<String> {
        self.checkpointed.then(|| {
            let rate = self.rate();
            format!(
                "step {}/{}  loss {:.4}  {rate:.2} steps/s  ETA {:.0} s",
                self.step,
                self.total,
                self.loss,
                (self.total - self.step) as f64 / rate
            )
        })
    }
}

/// Runs `incontext train`: trains to the configured number of steps, writing a checkpoint every
/// `checkpoint_interval` steps and at the end, a CSV log row per step, and finally the model
/// (weights as `args.dtype`, metadata with steps, seed and preset) to `args.out`. `progress` is
/// called after every step.
///
/// # Errors
/// As [`prepare`]; [`Error::InvalidInput`] for an `--out` that cannot be written or whose
/// checkpoint exists already without `--resume` (a fresh run would overwrite it); I/O errors
/// with the path; [`Error::Numerical`] when the loss or gradient
/// turns non-finite: training stops, no file is overwritten with the bad state, and the message
/// names the last good checkpoint.
pub fn train(args: &TrainArgs, progress: &mut dyn FnMut(&TrainProgress)) -> Result<TrainSummary> {
    check_out(&args.out)?;
    super::allocator::keep_freed_memory();
    let (mut trainer, elapsed_before) = prepare(args)?;
    let (ckpt, log) = (checkpoint_path(&args.out), log_path(&args.out));
    if args.resume.is_none() && ckpt.exists() {
        return invalid(format!(
            "{} holds the checkpoint of an earlier run; continue it with --resume {} or delete it to start afresh",
            ckpt.display(),
            ckpt.display()
        ));
    }
    let total = trainer.config().steps;
    let interval = trainer.config().checkpoint_interval;
    let previous_log = match &args.resume {
        Some(resume) if !log.exists() => log_of_checkpoint(resume),
        _ => log.clone(),
    };
    let mut log_file = open_log(&log, &previous_log, trainer.step())?;
    let log_io = |source| Error::Io {
        path: log.display().to_string(),
        source,
    };
    let start = Instant::now();
    let start_step = trainer.step();
    let mut last_checkpoint = args.resume.as_ref().map(|p| (p.clone(), start_step));
    let mut final_loss = None;
    while trainer.step() < total {
        let stats = trainer.train_step().map_err(|e| match e {
            Error::Numerical(msg) => Error::Numerical(match &last_checkpoint {
                Some((path, step)) => format!(
                    "{msg}; training stopped, the last good checkpoint is {} (step {step})",
                    path.display()
                ),
                None => format!("{msg}; training stopped before the first checkpoint"),
            }),
            other => other,
        })?;
        let seconds = elapsed_before + start.elapsed().as_secs_f64();
        log_file
            .write_all(log_row(&stats, seconds).as_bytes())
            .map_err(log_io)?;
        final_loss = Some(stats.losses.loss);
        let checkpointed = stats.step % interval == 0 || stats.step == total;
        if checkpointed {
            write_atomic(&ckpt, &trainer.checkpoint_bytes(seconds)?)?;
            log_file.flush().map_err(log_io)?;
            last_checkpoint = Some((ckpt.clone(), stats.step));
        }
        progress(&TrainProgress {
            step: stats.step,
            total,
            start_step,
            loss: stats.losses.loss,
            checkpointed,
            seconds: start.elapsed().as_secs_f64(),
        });
    }
    write_atomic(&args.out, &trainer.model_bytes(args.dtype.dtype())?)?;
    Ok(TrainSummary {
        steps: trainer.step(),
        final_loss,
        seconds: start.elapsed().as_secs_f64(),
        model: args.out.clone(),
        checkpoint: ckpt,
        log,
    })
}
