//! Shared test helpers: seeded random tensors and a finite-difference gradient check.

use crate::tasks::SeededRng;
use candle_core::{DType, Device, Tensor, Var};

/// Standard-normal tensor of `shape` from a seeded [`SeededRng`], in `dtype`.
pub(super) fn random(shape: &[usize], seed: u64, dtype: DType) -> Tensor {
    let mut rng = SeededRng::new(seed);
    let mut v = vec![0.0; shape.iter().product()];
    rng.fill_normal(&mut v);
    Tensor::from_vec(v, shape, &Device::Cpu).unwrap().to_dtype(dtype).unwrap()
}

/// Checks the backward pass of `f` against central finite differences.
///
/// The scalar loss is L = Σ f(inputs) ⊙ W with fixed random weights W (a plain sum would make
/// the gradients of softmax and LayerNorm vanish). `inputs` are f64; the numeric gradient is
/// (L(v + h) − L(v − h)) / 2h in f64 with h = 1e-5 for every element of every input. The
/// analytic gradients, taken through `Var`s with `backward()`, must match it in f64 (relative
/// tolerance 1e-7) and in f32 (1e-4), and must exist for every input.
pub(super) fn check_gradients(inputs: &[Tensor], seed: u64, f: impl Fn(&[Tensor]) -> candle_core::Result<Tensor>) {
    let h = 1e-5;
    let out = f(inputs).unwrap();
    let w = random(out.dims(), seed, DType::F64);
    let loss = |v: &[Tensor]| (f(v).unwrap() * &w).unwrap().sum_all().unwrap().to_scalar::<f64>().unwrap();
    let numeric: Vec<Vec<f64>> = (0..inputs.len())
        .map(|k| {
            let base = inputs[k].flatten_all().unwrap().to_vec1::<f64>().unwrap();
            (0..base.len())
                .map(|i| {
                    let shifted = |delta: f64| {
                        let mut v = base.clone();
                        v[i] += delta;
                        let mut args = inputs.to_vec();
                        args[k] = Tensor::from_vec(v, inputs[k].dims(), &Device::Cpu).unwrap();
                        loss(&args)
                    };
                    (shifted(h) - shifted(-h)) / (2.0 * h)
                })
                .collect()
        })
        .collect();
    for (dtype, tol) in [(DType::F64, 1e-7), (DType::F32, 1e-4)] {
        let vars: Vec<Var> = inputs.iter().map(|t| Var::from_tensor(&t.to_dtype(dtype).unwrap()).unwrap()).collect();
        let args: Vec<Tensor> = vars.iter().map(|v| v.as_tensor().clone()).collect();
        let l = (f(&args).unwrap() * w.to_dtype(dtype).unwrap()).unwrap().sum_all().unwrap();
        let grads = l.backward().unwrap();
        for (k, var) in vars.iter().enumerate() {
            let g = grads.get(var).unwrap_or_else(|| panic!("input {k} got no gradient ({dtype:?})"));
            assert_eq!(g.dims(), inputs[k].dims());
            let g = g.to_dtype(DType::F64).unwrap().flatten_all().unwrap().to_vec1::<f64>().unwrap();
            assert!(numeric[k].iter().any(|v| v.abs() > 1e-3), "input {k}: numeric gradient vanishes");
            for (i, (a, n)) in g.iter().zip(&numeric[k]).enumerate() {
                assert!((a - n).abs() <= tol * (1.0 + n.abs()), "input {k}[{i}] {dtype:?}: analytic {a} vs numeric {n}");
            }
        }
    }
}
