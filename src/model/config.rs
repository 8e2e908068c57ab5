//! The model's architecture hyper-parameters.

use crate::error::{Result, invalid};
use serde::{Deserialize, Serialize};

/// How a prompt becomes tokens and which tokens attend to which (docs/SCIENCE.md, "The model:
/// two encodings").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// Prior-fitted networks (Müller et al., ICLR 2022; TabPFN): one token per context pair,
    /// read-in of `(x, y)` plus a learned "context" vector; one token per query, read-in of
    /// `(x, 0)` plus a learned "query" vector; no positions. Context tokens attend to every
    /// context token, a query to the context and itself. Predictions do not depend on the order
    /// of the context.
    Prefix,
    /// Garg et al. 2022: tokens `x_1, ỹ_1, x_2, ỹ_2, …` with `ỹ = (y, 0, …, 0)`, learned
    /// absolute positions, causal attention; the prediction for `y_i` is read at `x_i`.
    Interleaved,
}

impl Encoding {
    /// The encoding of files and configs written before the field existed (model v1).
    pub fn before_v2() -> Self {
        Self::Interleaved
    }
}

/// Architecture of the in-context transformer (docs/SCIENCE.md, "The model: two encodings").
/// Serialised into every weight file's metadata.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// Tokens and attention pattern; absent in model-v1 files, which are all interleaved.
    #[serde(default = "Encoding::before_v2")]
    pub encoding: Encoding,
    /// Input dimension `d` (x tokens are `[d]`, y tokens `(y, 0, …, 0)`).
    pub n_dims: usize,
    /// Most points per prompt (context plus the query; interleaved: the model has
    /// `2·max_points` positions).
    pub max_points: usize,
    /// Residual stream width.
    pub n_embd: usize,
    /// Number of transformer blocks.
    pub n_layer: usize,
    /// Attention heads per block (`n_embd` must be divisible by it).
    pub n_head: usize,
    /// Bins `K` of the bar-distribution head.
    pub bins: usize,
    /// Labels of the family head, in the pretraining mixture's order (left out of a training
    /// config, which takes them from its mixture).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub families: Vec<String>,
}

impl ModelConfig {
    /// Checks the shape constraints.
    ///
    /// # Errors
    /// [`crate::Error::InvalidInput`] for zero sizes, `n_embd % n_head != 0`, fewer than 4 bins
    /// or no families.
    pub fn validate(&self) -> Result<()> {
        let sizes =
            [("n_dims", self.n_dims), ("max_points", self.max_points), ("n_embd", self.n_embd), ("n_layer", self.n_layer), ("n_head", self.n_head)];
        if let Some((name, _)) = sizes.iter().find(|(_, v)| *v == 0) {
            return invalid(format!("model size {name} must be at least 1 (got 0)"));
        }
        if !self.n_embd.is_multiple_of(self.n_head) {
            return invalid(format!("n_embd {} is not divisible by n_head {}", self.n_embd, self.n_head));
        }
        if self.bins < 4 {
            return invalid(format!("the bar distribution needs at least 4 bins (got {})", self.bins));
        }
        if self.families.is_empty() {
            return invalid("the family head needs at least one family");
        }
        Ok(())
    }

    /// Rows of the learned embedding added to every token: `2·max_points` absolute positions
    /// (interleaved) or 2 token types, context and query (prefix).
    pub fn embedding_rows(&self) -> usize {
        match self.encoding {
            Encoding::Interleaved => 2 * self.max_points,
            Encoding::Prefix => 2,
        }
    }

    /// Width of a token, the read-in's input: `n_dims` (interleaved: an x, or a y in the first
    /// coordinate) or `n_dims + 1` (prefix: x and y side by side).
    pub fn token_width(&self) -> usize {
        match self.encoding {
            Encoding::Interleaved => self.n_dims,
            Encoding::Prefix => self.n_dims + 1,
        }
    }

    /// Name of the learned embedding table in weight files: `wpe` (positions) or `wtt` (token
    /// types).
    pub fn embedding_name(&self) -> &'static str {
        match self.encoding {
            Encoding::Interleaved => "wpe",
            Encoding::Prefix => "wtt",
        }
    }
}
