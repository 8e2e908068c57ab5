//! Training presets: TOML files under `presets/`, embedded in the binary so that
//! `incontext train --preset <name>` works from any folder. Each file starts with a comment
//! saying what it is for.

use super::config::TrainConfig;
use crate::error::{Result, invalid};

/// `(name, TOML text)` of every preset.
pub const PRESETS: &[(&str, &str)] = &[
    ("quick", include_str!("../../presets/quick.toml")),
    ("bench", include_str!("../../presets/bench.toml")),
    ("linear", include_str!("../../presets/linear.toml")),
    ("sinusoid", include_str!("../../presets/sinusoid.toml")),
    ("linear+sinusoid", include_str!("../../presets/linear+sinusoid.toml")),
    ("linear+sinusoid-wide", include_str!("../../presets/linear+sinusoid-wide.toml")),
    ("mixture-4", include_str!("../../presets/mixture-4.toml")),
    ("e1-linear", include_str!("../../presets/e1-linear.toml")),
    ("e2-sparse-linear", include_str!("../../presets/e2-sparse-linear.toml")),
    ("e3-linear+sparse", include_str!("../../presets/e3-linear+sparse.toml")),
    ("e4-linear+relu", include_str!("../../presets/e4-linear+relu.toml")),
    ("e5-minority-0.5", include_str!("../../presets/e5-minority-0.5.toml")),
    ("e5-minority-0.1", include_str!("../../presets/e5-minority-0.1.toml")),
    ("e5-minority-0.01", include_str!("../../presets/e5-minority-0.01.toml")),
    ("e5-minority-0", include_str!("../../presets/e5-minority-0.toml")),
    (
        "e6-linear+sinusoid",
        include_str!("../../presets/e6-linear+sinusoid.toml"),
    ),
    (
        "e6-linear+sinusoid-1d",
        include_str!("../../presets/e6-linear+sinusoid-1d.toml"),
    ),
    ("e7-sinusoid-band", include_str!("../../presets/e7-sinusoid-band.toml")),
];

/// The TOML text of preset `name`, comments included.
pub fn preset_text(name: &str) -> Option<&'static str> {
    PRESETS.iter().find(|(n, _)| *n == name).map(|(_, text)| *text)
}

/// The parsed, validated preset `name`.
///
/// # Errors
/// [`crate::Error::InvalidInput`] for an unknown name (the message lists the known ones).
pub fn preset(name: &str) -> Result<TrainConfig> {
    match preset_text(name) {
        Some(text) => TrainConfig::from_toml(text),
        None => {
            let known: Vec<&str> = PRESETS.iter().map(|(n, _)| *n).collect();
            invalid(format!("unknown preset '{name}' (known: {})", known.join(", ")))
        }
    }
}
