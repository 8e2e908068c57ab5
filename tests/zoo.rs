//! The model zoo the page ships (`www/models/manifest.json`): every listed file exists with the
//! recorded size and SHA-256, its metadata matches its manifest entry, and a model stored as f16
//! predicts close to the f32 weights in its training checkpoint. Measured on 16 prompts × 41
//! points of each model's prior: 99.2–99.6% of the page's values (mean, five quantiles, family
//! probabilities) are within 1e-3 of f32, the largest differences are 3e-3 to 1.8e-2 (a quantile
//! inside a low-density bin moves most: dq = dp / density). The test holds 99% of the values to
//! 1e-3 and every value to 2e-2 (about one pixel of the page's plot).

use candle_core::DType;
use incontext::model::{TransformerPredictor, read_meta};
use incontext::predictive::{Distribution, Predictive, Predictor};
use incontext::tasks::Mixture;
use incontext::train::Trainer;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

fn models_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("www/models")
}

fn manifest() -> Value {
    serde_json::from_slice(&std::fs::read(models_dir().join("manifest.json")).unwrap()).unwrap()
}

fn entries() -> Vec<Value> {
    manifest()["models"].as_array().expect("manifest.models is an array").clone()
}

#[test]
fn every_manifest_model_has_its_recorded_size_hash_and_metadata() {
    let manifest = manifest();
    let entries = entries();
    assert!(!entries.is_empty());
    let default = manifest["default"].as_str().unwrap();
    assert!(entries.iter().any(|e| e["id"] == default), "the default model {default} is not listed");
    for entry in &entries {
        let id = entry["id"].as_str().unwrap();
        let bytes = std::fs::read(models_dir().join(entry["file"].as_str().unwrap())).unwrap();
        assert_eq!(bytes.len() as u64, entry["bytes"].as_u64().unwrap(), "{id}: size");
        let digest: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(digest, entry["sha256"].as_str().unwrap(), "{id}: SHA-256");

        let meta = read_meta(&bytes).unwrap();
        assert_eq!(meta.preset, id, "{id}: trained from another preset");
        let listed = Mixture::parse(entry["mixture"].as_str().unwrap()).unwrap();
        assert_eq!(meta.mixture, listed, "{id}: mixture");
        let noise = entry["noise"].as_array().unwrap();
        assert_eq!([meta.noise.lo, meta.noise.hi], [noise[0].as_f64().unwrap(), noise[1].as_f64().unwrap()]);
        // The family head's labels are the mixture's families, in order.
        assert_eq!(meta.config.families, meta.mixture.family_names(), "{id}: family labels");
        assert_eq!(meta.config.n_dims, 1, "{id}: the page's models are 1-D");
        // The model loads and predicts.
        TransformerPredictor::from_bytes(&bytes, id).unwrap();
    }
}

/// Mean, the page's five quantiles and the family probabilities of one prediction.
fn page_values(p: &Predictive) -> Vec<f64> {
    let Some(Distribution::Bar(bar)) = &p.distribution else { panic!("a transformer predicts a bar distribution") };
    let mut values = vec![p.mean];
    values.extend([0.05, 0.25, 0.5, 0.75, 0.95].map(|l| bar.quantile(l)));
    values.extend(p.family_probs.clone().unwrap());
    values
}

#[test]
fn f16_models_predict_close_to_their_f32_checkpoints() {
    let mut compared = 0;
    for entry in entries() {
        let id = entry["id"].as_str().unwrap();
        let bytes = std::fs::read(models_dir().join(entry["file"].as_str().unwrap())).unwrap();
        let header = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let is_f16 = header.tensors().iter().all(|(_, t)| t.dtype() == safetensors::Dtype::F16);
        let ckpt = models_dir().join(format!("{id}.ckpt.safetensors"));
        if !is_f16 || !ckpt.exists() {
            continue;
        }
        let (trainer, _) = Trainer::from_checkpoint(&std::fs::read(&ckpt).unwrap()).unwrap();
        let full = TransformerPredictor::from_bytes(&trainer.model_bytes(DType::F32).unwrap(), "f32").unwrap();
        let half = TransformerPredictor::from_bytes(&bytes, "f16").unwrap();
        let meta = half.meta();
        let prompts = meta.mixture.sample_prompts(7, 16, 1, 1, meta.config.max_points, meta.noise).unwrap();
        let mut differences = Vec::new();
        for prompt in &prompts {
            for (a, b) in full.predict_prompt(prompt).unwrap().iter().zip(half.predict_prompt(prompt).unwrap().iter()) {
                differences.extend(page_values(a).iter().zip(page_values(b)).map(|(u, v)| (u - v).abs()));
            }
        }
        let worst = differences.iter().copied().fold(0.0, f64::max);
        let within = differences.iter().filter(|&&d| d <= 1e-3).count() as f64 / differences.len() as f64;
        eprintln!("{id}: f16 vs f32: largest difference {worst:.2e}, {:.1}% within 1e-3", 100.0 * within);
        assert!(worst <= 2e-2, "{id}: f16 differs from f32 by up to {worst}");
        assert!(within >= 0.99, "{id}: only {:.1}% of the values are within 1e-3 of f32", 100.0 * within);
        compared += 1;
    }
    // At least the default model ships as f16 with its checkpoint.
    assert!(compared > 0, "no f16 model with a checkpoint in the manifest");
}
