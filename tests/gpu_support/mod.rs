//! Seeded models for the GPU tests and benchmark (`tests/gpu.rs`, `benches/gpu.rs`).

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use incontext::model::{IclTransformer, ModelConfig, ModelMeta, bar_borders, serialize_model};
use incontext::predictive::{Distribution, Predictive};
use incontext::tasks::{Mixture, NoiseRange, SeededRng};

/// The pretraining mixture and noise range the seeded models claim (two families: configs must
/// have two family labels); prompts for the tests and the benchmark come from it.
pub fn prior() -> (Mixture, NoiseRange) {
    (
        Mixture::parse("linear(bias),sinusoid").unwrap(),
        NoiseRange::new(0.01, 0.2).unwrap(),
    )
}

/// A model of architecture `config` with seeded weights far from GPT-2's tiny initialisation,
/// so that every layer changes the output: linear weights `N(0, 1/in)`, biases `N(0, 0.2²)`,
/// LayerNorm gains `1 + N(0, 0.2²)`, position or token-type embeddings `N(0, 0.5²)`. Returned as a weight
/// file stored in `dtype` (F32 or F16), the format both inference paths load.
pub fn seeded_model_bytes(config: ModelConfig, seed: u64, dtype: DType) -> Vec<u8> {
    let (mixture, noise) = prior();
    let borders = bar_borders(&mixture, noise, config.n_dims, config.bins, seed).unwrap();
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    IclTransformer::new(config.clone(), borders.clone(), vb).unwrap();
    let rng = SeededRng::new(seed);
    {
        let data = varmap.data().lock().unwrap();
        let mut names: Vec<&String> = data.keys().collect();
        names.sort();
        for (i, name) in names.into_iter().enumerate() {
            let var = &data[name];
            let dims = var.dims().to_vec();
            let mut values = vec![0.0; dims.iter().product()];
            rng.derive(i as u64).fill_normal(&mut values);
            let (scale, shift) = if name == config.embedding_name() {
                (0.5, 0.0)
            } else if dims.len() == 2 {
                ((1.0 / dims[1] as f64).sqrt(), 0.0)
            } else if name.contains("ln_") && name.ends_with("weight") {
                (0.2, 1.0)
            } else {
                (0.2, 0.0)
            };
            let values: Vec<f32> = values.iter().map(|v| (shift + scale * v) as f32).collect();
            var.set(&Tensor::from_vec(values, dims, &Device::Cpu).unwrap()).unwrap();
        }
    }
    let meta = ModelMeta {
        config,
        borders,
        mixture,
        noise,
        training_steps: 0,
        seed,
        preset: "seeded test model".into(),
    };
    serialize_model(&varmap, &meta, dtype).unwrap()
}

/// How far two predictions at one query are apart: (error of the mean relative to
/// `max(|cpu mean|, 1)`, largest absolute difference over bar and family probabilities).
pub fn differences(gpu: &Predictive, cpu: &Predictive) -> (f64, f64) {
    let probs = |p: &Predictive| -> Vec<f64> {
        let bar = match &p.distribution {
            Some(Distribution::Bar(bar)) => bar.probs.clone(),
            other => panic!("expected a bar distribution, got {other:?}"),
        };
        bar.into_iter()
            .chain(p.family_probs.clone().unwrap_or_default())
            .collect()
    };
    let (a, b) = (probs(gpu), probs(cpu));
    assert_eq!(a.len(), b.len(), "bins + families");
    let prob = a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
    ((gpu.mean - cpu.mean).abs() / cpu.mean.abs().max(1.0), prob)
}
