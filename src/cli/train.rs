//! `incontext train`: trains a model from a preset or config file with `incontext::train`,
//! showing its progress as a bar on a terminal, or as one line per checkpoint otherwise.

use incontext::Result;
use incontext::train::{TrainArgs, TrainProgress, train};
use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use std::fmt::Write;
use std::io::IsTerminal;

/// A progress bar from `start` of `total` steps (hidden when stderr is not a terminal).
fn progress_bar(start: u64, total: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    let template = "{elapsed_precise} [{wide_bar}] {pos}/{len} steps  {rate}  ETA {eta}  {msg}";
    if let Ok(style) = ProgressStyle::with_template(template) {
        let rate = |state: &ProgressState, w: &mut dyn Write| {
            let _ = write!(w, "{:.2} steps/s", state.per_sec());
        };
        bar.set_style(style.with_key("rate", rate).progress_chars("=> "));
    }
    bar.set_position(start);
    bar.reset_eta();
    bar
}

/// Trains, then prints where the model, checkpoint and log went.
///
/// # Errors
/// As [`incontext::train::train`].
pub fn run(args: &TrainArgs) -> Result<()> {
    let mut bar: Option<ProgressBar> = None;
    let summary = train(args, &mut |p: &TrainProgress| {
        let bar = bar.get_or_insert_with(|| progress_bar(p.start_step, p.total));
        if bar.is_hidden() {
            if let Some(line) = p.checkpoint_line() {
                eprintln!("{line}");
            }
        } else {
            bar.set_message(format!("loss {:.4}", p.loss));
            bar.set_position(p.step);
        }
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let summary = summary?;
    let done = match summary.final_loss {
        Some(loss) => format!("trained to step {} in {:.1} s (last loss {loss:.4})", summary.steps, summary.seconds),
        None => format!("nothing to train: the checkpoint is at its final step {}", summary.steps),
    };
    println!(
        "{done}; model {}, checkpoint {}, log {}",
        summary.model.display(),
        summary.checkpoint.display(),
        summary.log.display()
    );
    Ok(())
}
