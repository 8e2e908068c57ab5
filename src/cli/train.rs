//! `incontext train`: trains a model from a preset or config file with `incontext::train`.

use incontext::Result;
use incontext::train::{TrainArgs, train};

/// Trains, then prints where the model, checkpoint and log went.
///
/// # Errors
/// As [`incontext::train::train`].
pub fn run(args: &TrainArgs) -> Result<()> {
    let summary = train(args)?;
    let loss = summary
        .final_loss
        .map_or_else(|| "n/a".to_string(), |l| format!("{l:.4}"));
    println!(
        "trained {} steps in {:.1} s (last loss {loss}); model {}, checkpoint {}, log {}",
        summary.steps,
        summary.seconds,
        summary.model.display(),
        summary.checkpoint.display(),
        summary.log.display()
    );
    Ok(())
}
