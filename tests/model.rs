//! Model tests, for both encodings: the cached inference session against the full forward pass,
//! order invariance of the prefix encoding, gradients reaching every parameter, the
//! bar-distribution loss against the closed-form density, borders, and weight files (round trip,
//! files written before the encoding field, and every kind of malformed file).

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use incontext::Error;
use incontext::model::{
    Encoding, IclTransformer, MAX_ABS_INPUT, ModelConfig, ModelMeta, TransformerPredictor, bar_borders, bar_nll, family_cross_entropy,
    load_model, prompts_to_tensors, serialize_model,
};
use incontext::predictive::{BarDistribution, Predictor};
use incontext::tasks::{Context, Mixture, NoiseRange};

const ENCODINGS: [Encoding; 2] = [Encoding::Prefix, Encoding::Interleaved];

fn tiny_config(encoding: Encoding) -> ModelConfig {
    ModelConfig {
        encoding,
        n_dims: 2,
        max_points: 8,
        n_embd: 16,
        n_layer: 2,
        n_head: 2,
        bins: 8,
        families: vec!["linear".into(), "sinusoid".into()],
    }
}

fn mixture() -> Mixture {
    Mixture::parse("linear(bias),sinusoid").unwrap()
}

fn noise() -> NoiseRange {
    NoiseRange::new(0.01, 0.2).unwrap()
}

fn fresh_model(encoding: Encoding) -> (IclTransformer, VarMap, ModelMeta) {
    let cfg = tiny_config(encoding);
    let borders = bar_borders(&mixture(), noise(), cfg.n_dims, cfg.bins, 5).unwrap();
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    let model = IclTransformer::new(cfg.clone(), borders.clone(), vb).unwrap();
    let meta = ModelMeta {
        config: cfg,
        borders,
        mixture: mixture(),
        noise: noise(),
        training_steps: 0,
        seed: 5,
        preset: "test".into(),
    };
    (model, varmap, meta)
}

/// Largest absolute difference of two f32 tensors.
fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
    (a - b).unwrap().abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap()
}

#[test]
fn session_equals_full_forward_for_every_query_and_context_size() {
    for encoding in ENCODINGS {
        session_equals_full_forward(encoding);
    }
}

fn session_equals_full_forward(encoding: Encoding) {
    let (model, varmap, meta) = fresh_model(encoding);
    let predictor = TransformerPredictor::new(model, meta, "tiny");
    let prompt = mixture().sample_prompts(11, 1, 2, 2, 8, noise()).unwrap().remove(0);
    // Every point predicted from the points before it, in one batched forward pass.
    let full = predictor.predict_prompt(&prompt).unwrap();
    assert_eq!(full.len(), 8);
    for (k, full_k) in full.iter().enumerate() {
        let ctx = Context::prefix(&prompt, k);
        // Query the true next x together with two other points: batching must not mix queries.
        let mut queries = prompt.x(k).to_vec();
        queries.extend([0.3, -1.2, 2.0, 0.5]);
        let cached = predictor.predict(&ctx, &queries).unwrap();
        assert_eq!(cached.len(), 3);
        if encoding == Encoding::Prefix {
            // The plain forward pass with context size k predicts every later point from the
            // same context: its row k is the session's first query.
            let (xs, ys, _) = prompts_to_tensors(std::slice::from_ref(&prompt), &Device::Cpu).unwrap();
            let heads = predictor.model().forward(&xs, &ys, Some(&[k])).unwrap();
            let probs = candle_nn::ops::softmax_last_dim(&heads.bar_logits).unwrap().get(0).unwrap().get(k).unwrap();
            let session_probs = match &cached[0].distribution {
                Some(incontext::predictive::Distribution::Bar(bar)) => bar.probs.iter().map(|&p| p as f32).collect::<Vec<_>>(),
                other => panic!("no bar distribution: {other:?}"),
            };
            let session_probs = Tensor::new(session_probs.as_slice(), &Device::Cpu).unwrap();
            assert!(max_abs_diff(&probs, &session_probs) < 1e-5, "{encoding:?}, k={k}: forward vs session");
        }
        // Each query alone gives the same answer as in the batch (queries never see each other).
        for (j, batched) in cached.iter().enumerate() {
            let alone = predictor.predict(&ctx, &queries[2 * j..2 * j + 2]).unwrap().remove(0);
            assert!((alone.mean - batched.mean).abs() < 1e-5, "k={k}, query {j}: {} vs {}", alone.mean, batched.mean);
        }
        assert!((cached[0].mean - full_k.mean).abs() < 1e-5, "{encoding:?}, k={k}: {} vs {}", cached[0].mean, full_k.mean);
        let (a, b) = (cached[0].family_probs.as_ref().unwrap(), full_k.family_probs.as_ref().unwrap());
        for (pa, pb) in a.iter().zip(b) {
            assert!((pa - pb).abs() < 1e-5);
        }
    }
    drop(varmap);
}

/// The prefix encoding: permuting the context leaves every prediction unchanged (to 1e-5),
/// for k = 1, some and the maximum; the interleaved encoding is order-dependent (the reason for
/// the prefix encoding), which the same check shows.
#[test]
fn permuting_the_context_leaves_prefix_predictions_unchanged() {
    for encoding in ENCODINGS {
        let (model, _varmap, meta) = fresh_model(encoding);
        let predictor = TransformerPredictor::new(model, meta, "tiny");
        let prompt = mixture().sample_prompts(12, 1, 2, 2, 8, noise()).unwrap().remove(0);
        let queries = [0.3, -1.2, 2.0, 0.5, -0.1, 0.0];
        let mut largest = 0.0f64;
        for k in [1, 4, 7] {
            let forward = Context::prefix(&prompt, k);
            let (xs, ys) = (forward.xs.to_vec(), forward.ys.to_vec());
            // Reverse the order of the k points.
            let rev_xs: Vec<f64> = (0..k).rev().flat_map(|i| xs[2 * i..2 * i + 2].to_vec()).collect();
            let rev_ys: Vec<f64> = ys.iter().rev().copied().collect();
            let reversed = Context::new(2, &rev_xs, &rev_ys).unwrap();
            let a = predictor.predict(&forward, &queries).unwrap();
            let b = predictor.predict(&reversed, &queries).unwrap();
            for (pa, pb) in a.iter().zip(&b) {
                largest = largest.max((pa.mean - pb.mean).abs());
                for (fa, fb) in pa.family_probs.as_ref().unwrap().iter().zip(pb.family_probs.as_ref().unwrap()) {
                    largest = largest.max((fa - fb).abs());
                }
            }
        }
        match encoding {
            Encoding::Prefix => assert!(largest < 1e-5, "prefix: order changed a prediction by {largest}"),
            Encoding::Interleaved => assert!(largest > 1e-4, "interleaved: order changed nothing ({largest})"),
        }
    }
}

#[test]
fn every_parameter_receives_a_nonzero_gradient() {
    for encoding in ENCODINGS {
        every_parameter_receives_a_gradient(encoding);
    }
}

fn every_parameter_receives_a_gradient(encoding: Encoding) {
    let (model, varmap, _) = fresh_model(encoding);
    let prompts = mixture().sample_prompts(3, 4, 2, 2, 8, noise()).unwrap();
    let (xs, ys, fam) = prompts_to_tensors(&prompts, &Device::Cpu).unwrap();
    // Prefix: context sizes 0, 3, 7 and 5 (at least one query each); only queries are scored.
    let context = [0usize, 3, 7, 5];
    let context = (encoding == Encoding::Prefix).then_some(&context[..]);
    let scored: Vec<f32> = (0..4).flat_map(|b| (0..8).map(move |j| if j >= context.map_or(0, |c| c[b]) { 1.0 } else { 0.0 })).collect();
    let scored = Tensor::from_vec(scored, (4, 8), &Device::Cpu).unwrap();
    let out = model.forward(&xs, &ys, context).unwrap();
    let loss = (bar_nll(&out.bar_logits, &ys, &scored, model.borders()).unwrap()
        + family_cross_entropy(&out.family_logits, &fam, &scored).unwrap())
    .unwrap();
    let grads = loss.backward().unwrap();
    let data = varmap.data().lock().unwrap();
    assert_eq!(data.len(), 3 + 12 * 2 + 2 + 2 + 2, "parameter count");
    for (name, var) in data.iter() {
        let g = grads.get(var.as_tensor()).unwrap_or_else(|| panic!("{name} received no gradient"));
        let norm = g.sqr().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap();
        assert!(norm > 0.0 && norm.is_finite(), "{name}: gradient norm² {norm}");
    }
}

#[test]
fn bar_nll_equals_the_closed_form_density() {
    let borders = vec![-3.0, -1.0, 0.0, 1.0, 3.0];
    let logits = [0.2f32, 1.0, -0.5, 0.3];
    let z: f64 = logits.iter().map(|&l| f64::from(l).exp()).sum();
    let probs: Vec<f64> = logits.iter().map(|&l| f64::from(l).exp() / z).collect();
    let dist = BarDistribution { borders: borders.clone(), probs };
    let ys = [-2.5f32, -0.5, 0.25, 1.7, 9.0, -1.0];
    let expected: f64 = -ys.iter().map(|&y| dist.log_density(f64::from(y))).sum::<f64>() / ys.len() as f64;
    let logit_t = Tensor::new(&logits, &Device::Cpu).unwrap().reshape((1, 1, 4)).unwrap().repeat((1, 6, 1)).unwrap();
    let ys_t = Tensor::new(&ys, &Device::Cpu).unwrap().reshape((1, 6)).unwrap();
    let all = Tensor::ones((1, 6), DType::F32, &Device::Cpu).unwrap();
    let got = bar_nll(&logit_t, &ys_t, &all, &borders).unwrap().to_scalar::<f32>().unwrap();
    assert!((f64::from(got) - expected).abs() < 1e-5, "{got} vs {expected}");
    // Only scored points count: the mean over points 1 and 4 alone.
    let some = Tensor::new(&[[0f32, 1.0, 0.0, 0.0, 1.0, 0.0]], &Device::Cpu).unwrap();
    let expected_some = -(dist.log_density(-0.5) + dist.log_density(9.0)) / 2.0;
    let got = bar_nll(&logit_t, &ys_t, &some, &borders).unwrap().to_scalar::<f32>().unwrap();
    assert!((f64::from(got) - expected_some).abs() < 1e-5, "{got} vs {expected_some}");
    let none = Tensor::zeros((1, 6), DType::F32, &Device::Cpu).unwrap();
    assert!(matches!(bar_nll(&logit_t, &ys_t, &none, &borders), Err(Error::InvalidInput(_))));
}

#[test]
fn borders_split_fresh_prior_samples_evenly() {
    let bins = 10;
    let borders = bar_borders(&mixture(), noise(), 1, bins, 1).unwrap();
    let fresh = mixture().sample_prompts(99, 2000, 1, 1, 10, noise()).unwrap();
    let mut counts = vec![0usize; bins];
    let ys: Vec<f64> = fresh.iter().flat_map(|p| p.ys.clone()).collect();
    for &y in &ys {
        counts[incontext::predictive::bar_bin_log_shape(&borders, y).0] += 1;
    }
    for c in counts {
        let frac = c as f64 / ys.len() as f64;
        assert!((frac - 0.1).abs() < 0.01, "bin fraction {frac}");
    }
}

fn expect_weights_error(bytes: &[u8], needle: &str) {
    match load_model(bytes) {
        Err(Error::InvalidWeights(msg)) => assert!(msg.contains(needle), "message '{msg}' lacks '{needle}'"),
        Err(other) => panic!("wrong error kind: {other}"),
        Ok(_) => panic!("malformed file accepted (expected '{needle}')"),
    }
}

/// A model-v1 file (no `encoding` in its config) loads as interleaved and predicts as before;
/// its tensors under the prefix encoding's config are a clear error.
#[test]
fn files_without_an_encoding_are_interleaved() {
    let (model, varmap, meta) = fresh_model(Encoding::Interleaved);
    let bytes = serialize_model(&varmap, &meta, DType::F32).unwrap();
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let json = header.metadata().as_ref().unwrap()["incontext"].clone();
    assert!(json.contains("\"encoding\":\"interleaved\""), "{json}");
    let v1_json = json.replace("\"encoding\":\"interleaved\",", "");
    assert!(!v1_json.contains("encoding"));
    let data = varmap.data().lock().unwrap();
    let tensors: std::collections::BTreeMap<String, Tensor> = data.iter().map(|(k, v)| (k.clone(), v.as_tensor().clone())).collect();
    drop(data);
    let write = |meta_json: String| {
        let metadata = std::collections::HashMap::from([("incontext".to_string(), meta_json)]);
        safetensors::serialize(tensors.iter().map(|(k, v)| (k.as_str(), v)), Some(metadata)).unwrap()
    };
    let (v1, v1_meta) = load_model(&write(v1_json)).unwrap();
    assert_eq!(v1_meta.config.encoding, Encoding::Interleaved);
    let prompts = mixture().sample_prompts(4, 2, 2, 2, 8, noise()).unwrap();
    let (xs, ys, _) = prompts_to_tensors(&prompts, &Device::Cpu).unwrap();
    let a = model.forward(&xs, &ys, None).unwrap().bar_logits;
    assert_eq!(max_abs_diff(&a, &v1.forward(&xs, &ys, None).unwrap().bar_logits), 0.0);
    // The same tensors claimed as a prefix model: its read-in takes (x, y), not x.
    expect_weights_error(&write(json.replace("\"interleaved\"", "\"prefix\"")), "'read_in.weight' has shape [16, 2]; this architecture needs [16, 3]");
}

#[test]
fn weights_round_trip_and_malformed_files_give_one_clear_error() {
    let (model, varmap, meta) = fresh_model(Encoding::Prefix);
    let bytes = serialize_model(&varmap, &meta, DType::F32).unwrap();
    let (loaded, loaded_meta) = load_model(&bytes).unwrap();
    assert_eq!(loaded_meta, meta);
    let prompts = mixture().sample_prompts(4, 2, 2, 2, 8, noise()).unwrap();
    let (xs, ys, _) = prompts_to_tensors(&prompts, &Device::Cpu).unwrap();
    let context = Some(&[3usize, 1][..]);
    let a = model.forward(&xs, &ys, context).unwrap().bar_logits.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    let b = loaded.forward(&xs, &ys, context).unwrap().bar_logits.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    assert_eq!(a, b, "round trip changed the outputs");

    // f16 storage loads and stays close.
    let half = serialize_model(&varmap, &meta, DType::F16).unwrap();
    assert!(half.len() < bytes.len() * 6 / 10);
    let c = load_model(&half).unwrap().0.forward(&xs, &ys, context).unwrap().bar_logits.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    assert!(a.iter().zip(&c).all(|(x, y)| (x - y).abs() < 2e-2));

    expect_weights_error(&bytes[..bytes.len() / 2], "safetensors");
    expect_weights_error(b"not a weight file", "safetensors");

    let data = varmap.data().lock().unwrap();
    let mut tensors: std::collections::BTreeMap<String, Tensor> =
        data.iter().map(|(k, v)| (k.clone(), v.as_tensor().clone())).collect();
    drop(data);
    let write = |t: &std::collections::BTreeMap<String, Tensor>, meta_json: Option<String>| {
        let metadata = meta_json.map(|m| std::collections::HashMap::from([("incontext".to_string(), m)]));
        safetensors::serialize(t.iter().map(|(k, v)| (k.as_str(), v)), metadata).unwrap()
    };
    let meta_json = serde_json::to_string(&meta).unwrap();
    expect_weights_error(&write(&tensors, None), "no 'incontext' metadata");
    expect_weights_error(&write(&tensors, Some("{\"config\": 3}".into())), "malformed");
    let mut swapped = meta.clone();
    swapped.config.families.reverse();
    expect_weights_error(&write(&tensors, Some(serde_json::to_string(&swapped).unwrap())), "not the families");

    let good = tensors["ln_f.weight"].clone();
    tensors.insert("ln_f.weight".into(), Tensor::zeros(17, DType::F32, &Device::Cpu).unwrap());
    expect_weights_error(&write(&tensors, Some(meta_json.clone())), "'ln_f.weight' has shape [17]");
    tensors.insert("ln_f.weight".into(), Tensor::zeros(16, DType::U32, &Device::Cpu).unwrap());
    expect_weights_error(&write(&tensors, Some(meta_json.clone())), "'ln_f.weight' has dtype");
    tensors.remove("ln_f.weight");
    expect_weights_error(&write(&tensors, Some(meta_json.clone())), "'ln_f.weight' is missing");
    tensors.insert("ln_f.weight".into(), good);
    tensors.insert("stray".into(), Tensor::zeros(2, DType::F32, &Device::Cpu).unwrap());
    expect_weights_error(&write(&tensors, Some(meta_json)), "unexpected tensor 'stray'");
}

#[test]
fn bad_queries_and_oversized_contexts_are_errors() {
    let (model, _varmap, meta) = fresh_model(Encoding::Prefix);
    let predictor = TransformerPredictor::new(model, meta, "tiny");
    let xs = vec![0.0; 16];
    let ys = vec![0.0; 8];
    let full = Context::new(2, &xs, &ys).unwrap();
    assert!(matches!(predictor.predict(&full, &[0.0, 0.0]), Err(Error::InvalidInput(_))), "8 points leave no room for the query");
    let ctx = Context::new(2, &xs[..4], &ys[..2]).unwrap();
    assert!(matches!(predictor.predict(&ctx, &[0.0, 0.0, 1.0]), Err(Error::InvalidInput(_))));
    assert!(matches!(predictor.predict(&ctx, &[f64::NAN, 0.0]), Err(Error::InvalidInput(_))));
    let wide = Context::new(3, &[0.0; 3], &[0.0]).unwrap();
    assert!(matches!(predictor.predict(&wide, &[0.0; 3]), Err(Error::InvalidInput(_))));
    // Finite but far beyond anything seen in pretraining (f32 overflow would give NaN): refused.
    let huge = Context::new(2, &xs[..2], &[1e300]).unwrap();
    match predictor.predict(&huge, &[0.0, 0.0]) {
        Err(Error::InvalidInput(msg)) => assert!(msg.contains("context y[0]") && msg.contains("standardise"), "{msg}"),
        other => panic!("expected InvalidInput, got {other:?}"),
    }
    assert!(matches!(predictor.predict(&ctx, &[MAX_ABS_INPUT * 2.0, 0.0]), Err(Error::InvalidInput(_))));
}

/// A constant context at y = 2 (the prior's 98th percentile, where the predictive puts mass on
/// the upper end bin) must give a mean near 2: the half-normal tail's scale comes from the
/// neighbouring inner bin, not from the sample maximum stored as `b_K`.
#[test]
fn shipped_default_model_mean_follows_a_constant_context_near_the_tail() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/www/models/linear+sinusoid.safetensors");
    let model = TransformerPredictor::from_bytes(&std::fs::read(path).unwrap(), "model").unwrap();
    let xs: Vec<f64> = (0..10).map(|i| -1.5 + i as f64 / 3.0).collect();
    let ys = vec![2.0; 10];
    let context = Context::new(1, &xs, &ys).unwrap();
    let queries = [-1.0, 0.0, 0.5, 1.0];
    for (x, p) in queries.iter().zip(model.predict(&context, &queries).unwrap()) {
        assert!((p.mean - 2.0).abs() < 0.5, "mean {} at x = {x}", p.mean);
    }
}
