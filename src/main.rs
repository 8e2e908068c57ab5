//! The `incontext` command line: train | eval | card | reproduce | bench.
//!
//! Each subcommand is one variant of [`Command`] holding its clap `Args` struct, parsed and
//! dispatched by its own module under `src/cli/`; the work itself lives in the library.

mod cli;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// In-context learning of function families: evaluate predictors, train and run the model.
#[derive(Parser, Debug)]
#[command(name = "incontext", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Evaluate a trained model in and out of distribution against the exact Bayes posterior
    /// and write its model card (<stem>.md, <stem>.loss.svg, <stem>.eval.json).
    Card(cli::card::CardArgs),
    /// Evaluate predictors (baselines, Bayes, a trained model) on seeded prompts: NSE(k) with
    /// bootstrap intervals, NLL, coverage, PIT; prints a table, writes report.json and SVGs.
    Eval(cli::eval::EvalArgs),
    /// Train a model from a preset or a TOML config (checkpoints, resume, CSV log).
    Train(incontext::train::TrainArgs),
    /// Reproduce the paper's experiments E1–E8: train or resume the models, evaluate them,
    /// write docs/results/<E>.json, .md and .svg (--quick: toy scale in seconds).
    Reproduce(cli::reproduce::ReproduceArgs),
    /// Speed benchmarks (`bench train`: seconds per training step, peak RSS).
    Bench(cli::bench::BenchArgs),
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Card(args) => cli::card::run(&args),
        Command::Eval(args) => cli::eval::run(&args),
        Command::Train(args) => cli::train::run(&args),
        Command::Reproduce(args) => cli::reproduce::run(&args),
        Command::Bench(args) => cli::bench::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("incontext: {e}");
            ExitCode::FAILURE
        }
    }
}
