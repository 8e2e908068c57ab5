//! Function families, mixtures and seeded prompt sampling (docs/SCIENCE.md, "Function families").
//!
//! Mirrors the `Task` interface of Garg et al.'s reference code: a family samples a function,
//! the function evaluates inputs; a [`Mixture`] samples [`Prompt`]s.

mod family;
mod label;
mod mixture;
mod rng;

pub use family::{FamilySpec, MAX_DIM, MAX_HIDDEN, RELU_HIDDEN_DEFAULT, SampledFunction};
pub(crate) use label::{LabelArgs, split_top_level};
pub use mixture::{Context, Mixture, MixtureComponent, NoiseRange, Prompt, mixture_text};
pub use rng::{RngState, SeededRng};
