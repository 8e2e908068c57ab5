//! Argument parsing and dispatch of the subcommands, one module each; shared value parsers.

pub mod bench;
pub mod card;
pub mod eval;
pub mod manifest;
pub mod reproduce;
pub mod train;

use incontext::tasks::NoiseRange;

/// Parses `lo,hi` (or a single `σ`) into a [`NoiseRange`], for clap's `value_parser`.
pub fn parse_noise(text: &str) -> Result<NoiseRange, String> {
    let number = |s: &str| s.trim().parse::<f64>().map_err(|_| format!("'{s}' is not a number"));
    let (lo, hi) = match text.split_once(',') {
        Some((lo, hi)) => (number(lo)?, number(hi)?),
        None => {
            let sigma = number(text)?;
            (sigma, sigma)
        }
    };
    NoiseRange::new(lo, hi).map_err(|e| e.to_string())
}
