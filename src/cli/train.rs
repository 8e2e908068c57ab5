//! `incontext train`: trains a model from a preset or config file with `incontext::train`.

use incontext::Result;
use incontext::train::{TrainArgs, train};

/// Trains, then prints where the model, checkpoint and log went.
///
/// # Errors
/// As [`incontext::train::train`].
pub fn run(args: &TrainArgs) -> Result<()> {
    let summary = train(args)?;
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
