//! What a model takes as input, checked in one place for every backend (the CPU inference
//! session and the WebGPU path): the context's size and dimension, finite values, and a range of
//! values far from which the f32 activations overflow.

use super::ModelConfig;
use crate::error::{Result, invalid};
use crate::predictive::validate_queries;
use crate::tasks::Context;

/// Largest `|x|` or `|y|` the model takes. Pretraining saw `|x| < 6` and `|y| < 7`; far beyond
/// that the f32 activations overflow (1e300 becomes inf) and the outputs turn to NaN.
pub const MAX_ABS_INPUT: f64 = 1e6;

/// Checks a context (already finite: [`Context::new`]) against a model of `config`.
///
/// # Errors
/// [`crate::Error::InvalidInput`] when `context.d > n_dims`, `k >= max_points` (the query needs
/// a position too), or a value lies outside ±[`MAX_ABS_INPUT`].
pub fn validate_context(config: &ModelConfig, context: &Context) -> Result<()> {
    check_range(context.xs, "context x")?;
    check_range(context.ys, "context y")?;
    if context.d > config.n_dims {
        return invalid(format!("context has dimension {}, the model takes at most {}", context.d, config.n_dims));
    }
    if context.len() >= config.max_points {
        return invalid(format!(
            "{} context points: this model takes at most {} (max_points {} includes the query)",
            context.len(),
            config.max_points - 1,
            config.max_points
        ));
    }
    Ok(())
}

/// Checks a query block `[q, d]` and returns `q`.
///
/// # Errors
/// [`crate::Error::InvalidInput`] for a block that is not `[q, d]`, NaN/Inf, or values outside
/// ±[`MAX_ABS_INPUT`].
pub fn validate_model_queries(d: usize, queries: &[f64]) -> Result<usize> {
    let q = validate_queries(d, queries)?;
    check_range(queries, "query x")?;
    Ok(q)
}

fn check_range(values: &[f64], what: &str) -> Result<()> {
    match values.iter().position(|v| v.abs() > MAX_ABS_INPUT) {
        Some(i) => invalid(format!(
            "{what}[{i}] = {:e} is outside ±{MAX_ABS_INPUT:e}, the range the model takes (pretraining saw |x| < 6, |y| < 7; standardise the data first)",
            values[i]
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_and_queries_beyond_the_model_are_refused_with_the_reason() {
        let config = ModelConfig {
            encoding: crate::model::Encoding::Prefix,
            n_dims: 2,
            max_points: 3,
            n_embd: 8,
            n_layer: 1,
            n_head: 1,
            bins: 8,
            families: vec!["linear".into()],
        };
        let ok = Context::new(2, &[0.5, -1.0, 2.0, 0.0], &[1.0, 2.0]).unwrap();
        assert!(validate_context(&config, &ok).is_ok());
        let message = |r: Result<()>| match r {
            Err(crate::Error::InvalidInput(m)) => m,
            other => panic!("expected an error, got {other:?}"),
        };
        let far = Context::new(2, &[0.5, 2e6], &[1.0]).unwrap();
        assert!(message(validate_context(&config, &far)).contains("context x[1] = 2e6"));
        let long = Context::new(1, &[0.0; 3], &[0.0; 3]).unwrap();
        assert!(message(validate_context(&config, &long)).contains("at most 2"));
        let wide = Context::new(3, &[0.0; 3], &[0.0]).unwrap();
        assert!(message(validate_context(&config, &wide)).contains("at most 2"));
        assert_eq!(validate_model_queries(2, &[0.0, 1.0, 2.0, 3.0]).unwrap(), 2);
        assert!(validate_model_queries(2, &[0.0, -1e7]).is_err());
        assert!(validate_model_queries(2, &[0.0]).is_err());
    }
}
