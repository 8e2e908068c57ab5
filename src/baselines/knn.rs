//! k-nearest neighbours regression (Garg et al. 2022, §3 use k = 3).

use crate::error::{Result, invalid};
use crate::predictive::{Predictive, Predictor, validate_queries};
use crate::tasks::Context;

/// Predicts the mean `y` of the `k` context points nearest (Euclidean) to the query, or of all
/// points when the context holds fewer than `k`. Ties in distance go to the earlier point.
#[derive(Clone, Copy, Debug)]
pub struct NearestNeighbours {
    k: usize,
}

impl NearestNeighbours {
    /// # Errors
    /// [`crate::Error::InvalidInput`] when `k == 0`.
    pub fn new(k: usize) -> Result<Self> {
        if k == 0 {
            return invalid("knn needs k >= 1");
        }
        Ok(Self { k })
    }

    fn predict_one(&self, context: &Context, query: &[f64]) -> f64 {
        if context.is_empty() {
            return 0.0;
        }
        let mut order: Vec<(f64, usize)> = (0..context.len())
            .map(|j| (context.x(j).iter().zip(query).map(|(a, b)| (a - b) * (a - b)).sum::<f64>(), j))
            .collect();
        // Stable sort on distance keeps earlier points first among ties.
        order.sort_by(|a, b| a.0.total_cmp(&b.0));
        let n = self.k.min(order.len());
        order[..n].iter().map(|&(_, j)| context.ys[j]).sum::<f64>() / n as f64
    }
}

impl Predictor for NearestNeighbours {
    fn name(&self) -> String {
        format!("knn(k={})", self.k)
    }

    fn predict(&self, context: &Context, queries: &[f64]) -> Result<Vec<Predictive>> {
        validate_queries(context.d, queries)?;
        Ok(queries.chunks_exact(context.d).map(|x| Predictive::point(self.predict_one(context, x))).collect())
    }
}
