//! Training losses of the two heads, averaged over the scored points of a batch.

use crate::error::{Result, invalid};
use crate::predictive::bar_bin_log_shape;
use candle_core::{D, Tensor};

/// `Σ scored ⊙ values / Σ scored` for `values`, `scored` `[b, n]` (scored: 0 or 1 per point).
fn scored_mean(values: &Tensor, scored: &Tensor) -> Result<Tensor> {
    let count = scored.sum_all()?.to_scalar::<f32>()?;
    if count <= 0.0 {
        return invalid("a batch with no scored points");
    }
    Ok(((values * scored)?.sum_all()? / f64::from(count))?)
}

/// Mean over the scored points of `−log p(y)` under the bar distribution of `bar_logits
/// [b, n, K]`, with targets `ys [b, n]`, `scored [b, n]` (1 where a point is a prediction, 0
/// where it is context) and `borders [K + 1]` (Müller et al. 2022). The density is
/// `softmax(logits)[bin(y)] · shape(y)`; the shape term is constant in the parameters.
/// Returns a scalar tensor.
///
/// # Errors
/// [`crate::Error::InvalidInput`] for a NaN/Inf target or nothing scored; candle errors on
/// shape mismatch.
pub fn bar_nll(bar_logits: &Tensor, ys: &Tensor, scored: &Tensor, borders: &[f64]) -> Result<Tensor> {
    let (b, n, _k) = bar_logits.dims3()?;
    let targets: Vec<f32> = ys.flatten_all()?.to_vec1()?;
    if let Some(bad) = targets.iter().find(|y| !y.is_finite()) {
        return invalid(format!("bar-distribution target {bad} is not finite"));
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
    Ok(scored_mean(&(picked + shapes)?, scored)?.neg()?)
}

/// Mean over the scored points (`scored [b, n]`, as in [`bar_nll`]) of the cross-entropy of
/// `family_logits [b, n, F]` against each prompt's family `families [b]` (u32). Returns a
/// scalar tensor.
///
/// # Errors
/// [`crate::Error::InvalidInput`] when nothing is scored; candle errors on shape mismatch.
pub fn family_cross_entropy(family_logits: &Tensor, families: &Tensor, scored: &Tensor) -> Result<Tensor> {
    let (b, n, _f) = family_logits.dims3()?;
    let targets = families.reshape((b, 1, 1))?.broadcast_as((b, n, 1))?.contiguous()?; // [b, n, 1]
    let log_probs = candle_nn::ops::log_softmax(family_logits, D::Minus1)?; // [b, n, F]
    let picked = log_probs.gather(&targets, D::Minus1)?.squeeze(D::Minus1)?; // [b, n]
    Ok(scored_mean(&picked, scored)?.neg()?)
}
