//! incontext: a transformer that learns functions in context.
//!
//! Data flows one way (docs/DESIGN.md, "Layers and data flow"): [`tasks`] make prompts →
//! [`model`] turns prompts into predictive distributions → `train` fits the model on tasks →
//! weights land in `www/models/` → the wasm surface exposes the model. Definitions of what is
//! computed: docs/SCIENCE.md. [`baselines`] and [`eval`] read tasks and the model;
//! [`predictive`] holds the distributions and the `Predictor` interface they all share.

pub mod baselines;
pub mod error;
pub mod eval;
#[cfg(feature = "webgpu")]
pub mod gpu;
pub mod model;
pub mod ops;
pub mod predictive;
pub mod tasks;
pub mod wasm;
#[cfg(not(target_arch = "wasm32"))]
pub mod reproduce;
#[cfg(not(target_arch = "wasm32"))]
pub mod train;

pub use error::{Error, Result};
