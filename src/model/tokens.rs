//! Prompts → tokens, for both encodings (docs/SCIENCE.md, "The model: two encodings"): the rows
//! the read-in embeds and, for each, the row of the learned embedding table added to it (a
//! position when interleaved, a token type when prefix). The CPU model and the WebGPU path both
//! build their tokens here.

use super::config::{Encoding, ModelConfig};
use crate::error::{Result, invalid};
use candle_core::{D, DType, Tensor};

/// Token type rows of the prefix encoding's embedding table.
const CONTEXT_TYPE: u32 = 0;
const QUERY_TYPE: u32 = 1;

/// A batch of token sequences.
#[derive(Clone, Debug)]
pub struct Tokens {
    /// `[b, t, token_width]` f32 read-in inputs.
    pub rows: Tensor,
    /// `[b, t]` u32 row of the embedding table each token adds.
    pub table_index: Tensor,
}

/// Zero-pads inputs `xs [b, n, d]` to `[b, n, n_dims]`.
fn padded_inputs(cfg: &ModelConfig, xs: &Tensor) -> Result<Tensor> {
    let (_, _, d) = xs.dims3()?;
    let dm = cfg.n_dims;
    if d > dm {
        return invalid(format!("inputs have dimension {d}, the model takes at most {dm}"));
    }
    Ok(if d < dm { xs.pad_with_zeros(D::Minus1, 0, dm - d)? } else { xs.clone() }) // [b, n, dm]
}

/// Tokens of whole prompts `xs [b, n, d]`, `ys [b, n]` (`d ≤ n_dims`, zero-padded):
/// - interleaved (`context` is `None`): `x_1, ỹ_1, …, x_n, ỹ_n`, `ỹ = (y, 0, …, 0)`, at positions
///   `0..2n`; the prediction of `y_i` is read at token `2i`, from points `0..i`.
/// - prefix (`context[b] = k_b`): prompt b's first `k_b` points are context tokens `[x | y]`, the
///   other `n − k_b` query tokens `[x | 0]`; the prediction of every point is read at its own
///   token, from the context (a context point's own token sees its `y`: it is not scored).
///
/// # Errors
/// [`crate::Error::InvalidInput`] for `d > n_dims`, `n > max_points`, context sizes missing for
/// the prefix encoding, given for the interleaved one, or not one `≤ n` per prompt.
pub fn prompt_tokens(cfg: &ModelConfig, xs: &Tensor, ys: &Tensor, context: Option<&[usize]>) -> Result<Tokens> {
    let (b, n, _) = xs.dims3()?;
    if n > cfg.max_points {
        return invalid(format!("{n} points exceed the model's max_points {}", cfg.max_points));
    }
    let xs = padded_inputs(cfg, xs)?; // [b, n, dm]
    let device = xs.device();
    match (cfg.encoding, context) {
        (Encoding::Interleaved, None) => {
            let dm = cfg.n_dims;
            let ys = ys.unsqueeze(D::Minus1)?.pad_with_zeros(D::Minus1, 0, dm - 1)?; // [b, n, dm]
            let rows = Tensor::stack(&[&xs, &ys], 2)?.reshape((b, 2 * n, dm))?; // [b, 2n, dm]
            let positions = Tensor::arange(0u32, 2 * n as u32, device)?.unsqueeze(0)?.repeat((b, 1))?; // [b, 2n]
            Ok(Tokens { rows, table_index: positions })
        }
        (Encoding::Prefix, Some(ks)) => {
            if ks.len() != b || ks.iter().any(|&k| k > n) {
                return invalid(format!("context sizes {ks:?} do not fit {b} prompts of {n} points"));
            }
            let in_context: Vec<f32> = ks.iter().flat_map(|&k| (0..n).map(move |j| if j < k { 1.0 } else { 0.0 })).collect();
            let types: Vec<u32> = in_context.iter().map(|&c| if c > 0.0 { CONTEXT_TYPE } else { QUERY_TYPE }).collect();
            let in_context = Tensor::from_vec(in_context, (b, n), device)?; // [b, n]
            let shown_ys = (ys * in_context)?.unsqueeze(D::Minus1)?; // [b, n, 1]
            let rows = Tensor::cat(&[&xs, &shown_ys], D::Minus1)?; // [b, n, dm + 1]
            Ok(Tokens { rows, table_index: Tensor::from_vec(types, (b, n), device)? })
        }
        (Encoding::Interleaved, Some(_)) => invalid("the interleaved encoding takes no context sizes: every point is predicted from the points before it"),
        (Encoding::Prefix, None) => invalid("the prefix encoding needs a context size per prompt"),
    }
}

/// Tokens of a context alone, `xs [1, k, d]`, `ys [1, k]`: every point in context (interleaved:
/// `2k` tokens; prefix: `k`).
///
/// # Errors
/// As [`prompt_tokens`].
pub fn context_tokens(cfg: &ModelConfig, xs: &Tensor, ys: &Tensor) -> Result<Tokens> {
    let (_, k, _) = xs.dims3()?;
    match cfg.encoding {
        Encoding::Interleaved => prompt_tokens(cfg, xs, ys, None),
        Encoding::Prefix => prompt_tokens(cfg, xs, ys, Some(&[k])),
    }
}

/// Tokens of `q` queries `xs [1, q, d]` after a context of `k` points: interleaved, `x` at
/// position `2k` (each query as if it were the next point); prefix, `[x | 0]` of the query type.
///
/// # Errors
/// [`crate::Error::InvalidInput`] for `d > n_dims` or `k ≥ max_points`.
pub fn query_tokens(cfg: &ModelConfig, xs: &Tensor, k: usize) -> Result<Tokens> {
    let (b, q, _) = xs.dims3()?;
    if k >= cfg.max_points {
        return invalid(format!("{k} context points leave no room for a query (max_points {})", cfg.max_points));
    }
    let xs = padded_inputs(cfg, xs)?; // [b, q, dm]
    let device = xs.device().clone();
    let (rows, row) = match cfg.encoding {
        Encoding::Interleaved => (xs, 2 * k as u32),
        Encoding::Prefix => (xs.pad_with_zeros(D::Minus1, 0, 1)?, QUERY_TYPE), // [b, q, dm + 1]
    };
    let table_index = Tensor::full(row, (b, q), &device)?.to_dtype(DType::U32)?; // [b, q]
    Ok(Tokens { rows, table_index })
}
