//! The bar-distribution floor: a reference predictor whose NLL is the lowest a bar-distribution
//! head with given borders can reach, so a model's NLL gap to Bayes splits into the part that
//! training can close and the part that only more (or narrower) bins can.

use crate::error::Result;
use crate::predictive::{BarDistribution, Distribution, Predictive, Predictor};
use crate::tasks::{Context, Prompt};

/// `inner`'s predictive distributions projected onto the bar borders `borders` (`[K + 1]`) with
/// [`BarDistribution::from_cdf_values`]: the best any bar head on these borders can do when `inner` is
/// the exact posterior (Müller et al., "Transformers Can Do Bayesian Inference", ICLR 2022, §4:
/// the bar distribution's density is uniform within each inner bin). Its name is
/// `bar_floor(<inner name>)`; predictions without a distribution pass through unchanged.
pub struct BarFloor {
    inner: Box<dyn Predictor>,
    borders: Vec<f64>,
}

impl BarFloor {
    /// Wraps `inner`; `borders` are a model's bar borders (`[K + 1]`, `K >= 3`, increasing).
    pub fn new(inner: Box<dyn Predictor>, borders: Vec<f64>) -> Self {
        Self { inner, borders }
    }

    fn project(&self, p: Predictive) -> Predictive {
        match p.distribution {
            Some(dist) => {
                let at = dist.cdf_sorted(&self.borders[1..self.borders.len() - 1]); // [K − 1]
                let bar = BarDistribution::from_cdf_values(self.borders.clone(), &at);
                Predictive { mean: bar.mean(), distribution: Some(Distribution::Bar(bar)), family_probs: p.family_probs }
            }
            None => p,
        }
    }
}

impl Predictor for BarFloor {
    fn name(&self) -> String {
        format!("bar_floor({})", self.inner.name())
    }

    fn predict(&self, context: &Context, queries: &[f64]) -> Result<Vec<Predictive>> {
        Ok(self.inner.predict(context, queries)?.into_iter().map(|p| self.project(p)).collect())
    }

    fn predict_prompt(&self, prompt: &Prompt) -> Result<Vec<Predictive>> {
        Ok(self.inner.predict_prompt(prompt)?.into_iter().map(|p| self.project(p)).collect())
    }
}
