//! Prompts → model input tensors.

use crate::error::{Result, invalid};
use crate::tasks::Prompt;
use candle_core::{Device, Tensor};

/// Stacks prompts that share `n` and `d` into `(xs [b, n, d] f32, ys [b, n] f32,
/// families [b] u32)`.
///
/// # Errors
/// [`crate::Error::InvalidInput`] when `prompts` is empty or prompts differ in `n` or `d`.
pub fn prompts_to_tensors(prompts: &[Prompt], device: &Device) -> Result<(Tensor, Tensor, Tensor)> {
    let Some(first) = prompts.first() else {
        return invalid("an empty batch of prompts");
    };
    let (n, d) = (first.len(), first.d);
    if let Some(p) = prompts.iter().find(|p| p.len() != n || p.d != d) {
        return invalid(format!("prompts of shape ({}, {}) and ({n}, {d}) in one batch", p.len(), p.d));
    }
    let b = prompts.len();
    let xs: Vec<f32> = prompts.iter().flat_map(|p| p.xs.iter().map(|&v| v as f32)).collect();
    let ys: Vec<f32> = prompts.iter().flat_map(|p| p.ys.iter().map(|&v| v as f32)).collect();
    let families: Vec<u32> = prompts.iter().map(|p| p.family as u32).collect();
    Ok((
        Tensor::from_vec(xs, (b, n, d), device)?,      // [b, n, d]
        Tensor::from_vec(ys, (b, n), device)?,         // [b, n]
        Tensor::from_vec(families, b, device)?,        // [b]
    ))
}
