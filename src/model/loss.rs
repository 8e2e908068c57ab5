//! Training losses of the two heads.

use crate::error::Result;
use crate::predictive::bar_bin_log_shape;
use candle_core::{D, Tensor};

/// Mean over `b, n` of `−log p(y)` under the bar distribution of `bar_logits [b, n, K]`, with
/// targets `ys [b, n]` and `borders [K + 1]` (Müller et al. 2022). The density is
/// `softmax(logits)[bin(y)] · shape(y)`; the shape term is constant in the parameters.
/// Returns a scalar tensor.
///
/// # Errors
/// [`crate::Error::InvalidInput`] for a NaN/Inf target; candle errors on shape mismatch.
pub fn bar_nll(bar_logits: &Tensor, ys: &Tensor, borders: &[f64]) -> Result<Tensor> {
    let (b, n, _k) = bar_logits.dims3()?;
    let targets: Vec<f32> = ys.flatten_all()?.to_vec1()?;
    if let Some(bad) = targets.iter().find(|y| !y.is_finite()) {
        return crate::error::invalid(format!("bar-distribution target {bad} is not finite"));
    }
    let (bins, shapes): (Vec<u32>, Vec<f32>) = targets
        .iter()
        .map(|&y| {
            let (bin, log_shape) = bar_bin_log_shape(borders, f64::from(y));
            (bin as u32, log_shape as f32)
        })
        .unzip();
    let device = bar_logits.device();
    let bins = Tensor::from_vec(bins, (b, n, 1), device)?; // [b, n, 1]
    let shapes = Tensor::from_vec(shapes, (b, n), device)?; // [b, n]
    let log_probs = candle_nn::ops::log_softmax(bar_logits, D::Minus1)?; // [b, n, K]
    let picked = log_probs.gather(&bins, D::Minus1)?.squeeze(D::Minus1)?; // [b, n]
    Ok((picked + shapes)?.mean_all()?.neg()?)
}

/// Mean cross-entropy of `family_logits [b, n, F]` against each prompt's family
/// `families [b]` (u32), over every position. Returns a scalar tensor.
///
/// # Errors
/// Candle errors on shape mismatch.
pub fn family_cross_entropy(family_logits: &Tensor, families: &Tensor) -> Result<Tensor> {
    let (b, n, f) = family_logits.dims3()?;
    let targets = families.reshape((b, 1))?.broadcast_as((b, n))?.flatten_all()?.contiguous()?; // [b·n]
    Ok(candle_nn::loss::cross_entropy(&family_logits.reshape((b * n, f))?, &targets)?)
}
