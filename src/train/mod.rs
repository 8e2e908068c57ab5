//! The trainer (native only): TOML configs and presets, seeded batches with Garg et al.'s
//! curriculum, AdamW with warm-up and cosine decay, global-norm clipping, a non-finite-loss
//! guard, exact checkpoints and resume, a CSV log and a progress bar; plus the training-step
//! benchmark.
//!
//! Training is a pure function of the [`TrainConfig`]: the initial weights are drawn per
//! variable name from the seed, and the batch of step `s` from `SeededRng::new(seed).derive(s)`,
//! so `N` steps straight and `k` steps + checkpoint + resume + `N − k` steps give bit-identical
//! weights.

mod allocator;
mod bench;
mod checkpoint;
mod config;
mod init;
mod optim;
mod presets;
mod run;
mod trainer;

pub use bench::{BenchReport, bench_train, peak_rss_kib};
pub use checkpoint::{TRAIN_META_KEY, TrainState};
pub use config::{CurriculumConfig, CurriculumStage, OptimizerConfig, Ramp, TrainConfig};
pub use optim::{AdamW, clip_global_norm, learning_rate};
pub use presets::{PRESETS, preset, preset_text};
pub use run::{StorageDtype, TrainArgs, TrainProgress, TrainSummary, checkpoint_path, log_path, prepare, train};
pub use trainer::{Batch, Losses, PhaseTimes, StepStats, Trainer};
