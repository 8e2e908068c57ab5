//! Seeded parameter initialisation.
//!
//! candle's CPU device draws `Init::Randn` from an unseeded thread-local generator (and refuses
//! `Device::set_seed`), so a `VarMap`-backed model starts from different weights every run.
//! This backend creates each variable from [`SeededRng`] instead, keyed by the training seed
//! and the variable's name, so the initial weights are a function of the config alone (and do
//! not depend on the order in which the model asks for its variables).

use crate::tasks::SeededRng;
use candle_core::{DType, Device, Shape, Tensor, Var};
use candle_nn::init::NormalOrUniform;
use candle_nn::var_builder::SimpleBackend;
use candle_nn::{Init, VarMap};

/// A `VarBuilder` backend that fills a [`VarMap`] with seeded variables.
pub(crate) struct SeededInit {
    varmap: VarMap,
    root: SeededRng,
}

impl SeededInit {
    /// Variables created through this backend land in `varmap`.
    pub(crate) fn new(varmap: VarMap, seed: u64) -> Self {
        Self {
            varmap,
            root: SeededRng::new(seed),
        }
    }
}

/// FNV-1a, a stable 64-bit hash of a variable name (std's hasher is not stable across
/// releases).
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// `n` values drawn from `init` for a tensor of `shape`.
fn draw(init: Init, shape: &Shape, rng: &mut SeededRng) -> Vec<f64> {
    let n = shape.elem_count();
    let normal = |rng: &mut SeededRng, mean: f64, std: f64| (0..n).map(|_| mean + std * rng.normal()).collect();
    let uniform = |rng: &mut SeededRng, lo: f64, hi: f64| (0..n).map(|_| rng.uniform_in(lo, hi)).collect();
    match init {
        Init::Const(c) => vec![c; n],
        Init::Randn { mean, stdev } => normal(rng, mean, stdev),
        Init::Uniform { lo, up } => uniform(rng, lo, up),
        Init::Kaiming {
            dist,
            fan,
            non_linearity,
        } => {
            // He et al. 2015, as candle-nn computes it.
            let std = non_linearity.gain() / (fan.for_shape(shape) as f64).sqrt();
            match dist {
                NormalOrUniform::Normal => normal(rng, 0.0, std),
                NormalOrUniform::Uniform => {
                    let bound = 3f64.sqrt() * std;
                    uniform(rng, -bound, bound)
                }
            }
        }
    }
}

impl SimpleBackend for SeededInit {
    fn get(&self, shape: Shape, name: &str, init: Init, dtype: DType, device: &Device) -> candle_core::Result<Tensor> {
        let mut data = self
            .varmap
            .data()
            .lock()
            .map_err(|_| candle_core::Error::Msg("variable map lock poisoned".into()))?;
        if let Some(var) = data.get(name) {
            if var.shape() != &shape {
                candle_core::bail!(
                    "variable '{name}' requested as {shape:?} but exists as {:?}",
                    var.shape()
                );
            }
            return Ok(var.as_tensor().clone());
        }
        let values = draw(init, &shape, &mut self.root.derive(fnv1a(name)));
        let var = Var::from_tensor(&Tensor::from_vec(values, shape, device)?.to_dtype(dtype)?)?;
        let tensor = var.as_tensor().clone();
        data.insert(name.to_string(), var);
        Ok(tensor)
    }

    fn get_unchecked(&self, name: &str, _: DType, _: &Device) -> candle_core::Result<Tensor> {
        candle_core::bail!("seeded initialisation needs the shape of '{name}'")
    }

    fn contains_tensor(&self, name: &str) -> bool {
        self.varmap.data().lock().is_ok_and(|d| d.contains_key(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_nn::VarBuilder;

    fn build(seed: u64, names: &[&str]) -> VarMap {
        let varmap = VarMap::new();
        let vb = VarBuilder::from_backend(Box::new(SeededInit::new(varmap.clone(), seed)), DType::F32, Device::Cpu);
        for name in names {
            vb.get_with_hints((64, 32), name, Init::Randn { mean: 0.0, stdev: 0.02 })
                .unwrap();
        }
        varmap
    }

    fn values(varmap: &VarMap, name: &str) -> Vec<f32> {
        varmap.data().lock().unwrap()[name]
            .as_tensor()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap()
    }

    #[test]
    fn same_seed_same_weights_in_any_order_with_the_requested_moments() {
        let a = build(7, &["x", "y"]);
        let b = build(7, &["y", "x"]);
        assert_eq!(values(&a, "x"), values(&b, "x"));
        assert_ne!(values(&a, "x"), values(&a, "y"), "names key independent streams");
        assert_ne!(values(&a, "x"), values(&build(8, &["x"]), "x"), "the seed matters");
        let v = values(&a, "x");
        let n = v.len() as f64;
        let mean = v.iter().map(|&x| f64::from(x)).sum::<f64>() / n;
        let std = (v.iter().map(|&x| (f64::from(x) - mean).powi(2)).sum::<f64>() / n).sqrt();
        // 2048 draws: the sample std of N(0, 0.02²) is within ~3% of 0.02 with overwhelming odds.
        assert!(
            mean.abs() < 0.002 && (std - 0.02).abs() < 0.002,
            "mean {mean}, std {std}"
        );
    }
}
