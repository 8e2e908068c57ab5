//! The model's architecture hyper-parameters.

use crate::error::{Result, invalid};
use serde::{Deserialize, Serialize};

/// Architecture of the in-context transformer (SPEC.md, "Model"). Serialised into every
/// weight file's metadata.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// Input dimension `d` (x tokens are `[d]`, y tokens `(y, 0, …, 0)`).
    pub n_dims: usize,
    /// Most points per prompt (context plus the query); the model has `2·max_points` positions.
    pub max_points: usize,
    /// Residual stream width.
    pub n_embd: usize,
    /// Number of transformer blocks.
    pub n_layer: usize,
    /// Attention heads per block (`n_embd` must be divisible by it).
    pub n_head: usize,
    /// Bins `K` of the bar-distribution head.
    pub bins: usize,
    /// Labels of the family head, in the pretraining mixture's order.
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

    /// Number of token positions, `2·max_points`.
    pub fn positions(&self) -> usize {
        2 * self.max_points
    }
}
