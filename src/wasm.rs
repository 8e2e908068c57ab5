//! The browser surface (docs/DESIGN.md, "The wasm API"): the only module that speaks wasm-bindgen.
//!
//! The page's Web Worker loads `pkg/incontext.js` and uses three things:
//! - [`Model`]`.load(bytes)` → `predict(xs, ys, queries, dim?)` with the transformer;
//! - [`Reference`]`(mixture, noiseLo, noiseHi, dim)` → the exact Bayes posterior predictive of a
//!   pretraining mixture for the same context, in the same shape;
//! - `leastSquares(xs, ys, queries, dim)` → least squares with an intercept, same shape;
//! - `sampleFunction(family, seed, k, noiseStd, curveXs)` → a seeded draw from a family (the
//!   same draw as natively: [`crate::tasks`] with [`SeededRng`]) for "sample a function".
//!
//! Every prediction comes back as a plain object of owned typed arrays (never views into wasm
//! memory), described by [`Summary`]. Every failure is a `JsError` carrying the crate error's
//! message; a panic hook logs any panic to the console anyway.
//!
//! The conversion from predictions to the page's arrays ([`summarise`], [`predict_summary`],
//! [`sample_function`]) is plain Rust compiled on every target, so native code computes the
//! exact numbers the wasm build must reproduce (the parity test in `tests/browser/`).

use crate::baselines::{LeastSquares, NearestNeighbours, covering_prior};
use crate::error::{Result, invalid};
use crate::model::{InferenceSession, ModelConfig, ModelMeta, TransformerPredictor};
use crate::predictive::{Distribution, Predictive, Predictor, leave_one_out};
use crate::tasks::{Context, FamilySpec, Mixture, NoiseRange, SeededRng};
use serde::Serialize;

#[cfg(feature = "webgpu")]
pub mod webgpu;

/// Quantile levels of every prediction, in [`Summary::quantiles`] order: the 90% and 50%
/// central intervals' ends and the median.
pub const QUANTILE_LEVELS: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// Most query points per call (a curve on a 4K-wide screen needs fewer).
pub const MAX_QUERIES: usize = 4096;

/// Most points one "sample a function" draw may reveal.
pub const MAX_SAMPLE_POINTS: usize = 1000;

/// A count or seed passed from JavaScript as a number: wasm-bindgen would wrap a negative or
/// fractional value into `usize` silently (−1 becomes 4294967295), so the browser API takes
/// `f64` and checks it here.
///
/// # Errors
/// [`crate::Error::InvalidInput`] naming `what` if `value` is not a whole number in
/// `0 ..= u32::MAX`.
pub fn whole_number(what: &str, value: f64) -> Result<usize> {
    if value.is_finite() && value >= 0.0 && value.fract() == 0.0 && value <= f64::from(u32::MAX) {
        // Exact: a whole number no larger than u32::MAX.
        Ok(value as usize)
    } else {
        invalid(format!("{what} must be a whole number from 0 to {}, got {value}", u32::MAX))
    }
}

/// Predictions at `Q` query points as flat arrays (what the page draws).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// `[Q]` predictive means (the point predictions).
    pub mean: Vec<f64>,
    /// `[5, Q]` level-major quantiles at [`QUANTILE_LEVELS`]; `None` for point predictors
    /// (least squares).
    pub quantiles: Option<Vec<f64>>,
    /// `[Q, K]` bar-distribution bin probabilities (the transformer only).
    pub probs: Option<Vec<f64>>,
    /// `[K + 1]` bar borders, in the model's units of `y` (the transformer only).
    pub borders: Option<Vec<f64>>,
    /// `[F]` probability of each family of the pretraining mixture given the context, averaged
    /// over the queries (the Bayes posterior's does not depend on the query; the transformer's
    /// family head reads it at each query token); `None` where the predictor has none.
    pub family_probs: Option<Vec<f64>>,
    /// `[F]` family labels, in mixture order.
    pub families: Vec<String>,
}

/// The quantiles of one predictive distribution at [`QUANTILE_LEVELS`]
/// ([`Distribution::quantiles`]: the same computation natively and in the page).
fn quantiles_of(dist: &Distribution) -> Result<[f64; 5]> {
    let q = dist.quantiles(&QUANTILE_LEVELS)?;
    Ok([q[0], q[1], q[2], q[3], q[4]])
}

/// Flattens per-query predictions into a [`Summary`]. Quantiles are present when every
/// prediction has a distribution, bin probabilities when every one is a bar distribution, and
/// family probabilities when every one has them.
///
/// # Errors
/// [`crate::Error::InvalidInput`] when bar distributions disagree on their borders or family
/// probabilities do not have one entry per label in `families`; [`crate::Error::Numerical`]
/// for a Gaussian mixture without finite quantiles.
pub fn summarise(preds: &[Predictive], families: &[String]) -> Result<Summary> {
    let q = preds.len();
    let mean = preds.iter().map(|p| p.mean).collect();
    let dists: Option<Vec<&Distribution>> = preds.iter().map(|p| p.distribution.as_ref()).collect();
    let quantiles = match dists.as_ref().filter(|d| !d.is_empty()) {
        None => None,
        Some(dists) => {
            let per_query: Vec<[f64; 5]> = dists.iter().map(|d| quantiles_of(d)).collect::<Result<_>>()?;
            Some((0..QUANTILE_LEVELS.len()).flat_map(|l| per_query.iter().map(move |qs| qs[l])).collect())
        }
    };
    let bars: Option<Vec<_>> = dists.as_ref().and_then(|dists| {
        dists.iter().map(|d| if let Distribution::Bar(b) = d { Some(b) } else { None }).collect()
    });
    let (probs, borders) = match bars.filter(|b| !b.is_empty()) {
        None => (None, None),
        Some(bars) => {
            if bars.iter().any(|b| b.borders != bars[0].borders) {
                return invalid("bar distributions of one prediction disagree on their borders");
            }
            (Some(bars.iter().flat_map(|b| b.probs.iter().copied()).collect()), Some(bars[0].borders.clone()))
        }
    };
    let fams: Option<Vec<&Vec<f64>>> = preds.iter().map(|p| p.family_probs.as_ref()).collect();
    let family_probs = match fams.filter(|f| !f.is_empty()) {
        None => None,
        Some(fams) => {
            if let Some(bad) = fams.iter().find(|f| f.len() != families.len()) {
                return invalid(format!("{} family probabilities for {} families", bad.len(), families.len()));
            }
            Some((0..families.len()).map(|j| fams.iter().map(|f| f[j]).sum::<f64>() / q as f64).collect())
        }
    };
    Ok(Summary { mean, quantiles, probs, borders, family_probs, families: families.to_vec() })
}

/// Runs `predictor` on the context `(xs [n, d], ys [n])` at `queries` (`[Q, d]`) and
/// summarises the result.
///
/// # Errors
/// [`crate::Error::InvalidInput`] for mismatched lengths, NaN/Inf, more than [`MAX_QUERIES`]
/// queries, or whatever `predictor` rejects (e.g. more points than a model's `max_points`).
pub fn predict_summary(
    predictor: &dyn Predictor,
    families: &[String],
    d: usize,
    xs: &[f64],
    ys: &[f64],
    queries: &[f64],
) -> Result<Summary> {
    let context = Context::new(d, xs, ys)?;
    if queries.len() > MAX_QUERIES * d {
        return invalid(format!("{} query points: at most {MAX_QUERIES} per call", queries.len() / d));
    }
    summarise(&predictor.predict(&context, queries)?, families)
}

/// Leave-one-out predictions of `predictor` on the context `(xs [n, d], ys [n])` (see
/// [`crate::predictive::leave_one_out`]), summarised per point: `mean [n]`, `quantiles [5·n]`
/// and family probabilities averaged over the `n` fits; bin probabilities are dropped.
///
/// # Errors
/// As [`predict_summary`].
pub fn leave_one_out_summary(predictor: &dyn Predictor, families: &[String], d: usize, xs: &[f64], ys: &[f64]) -> Result<Summary> {
    let context = Context::new(d, xs, ys)?;
    let summary = summarise(&leave_one_out(predictor, &context)?, families)?;
    Ok(Summary { probs: None, borders: None, ..summary })
}

/// The prior of the reference that knows the true family ([`covering_prior`]) in text form, for
/// the family `truth` of a shown function and the `pretraining` mixture, both in text form.
///
/// # Errors
/// [`crate::Error::InvalidInput`] when either does not parse.
pub fn covering_prior_text(truth: &str, pretraining: &str) -> Result<String> {
    Ok(covering_prior(&FamilySpec::parse(truth)?, &Mixture::parse(pretraining)?).to_string())
}

/// The mean of the `k` nearest context points (Euclidean; all points when there are fewer) at
/// `queries` (`[Q, d]`), summarised without quantiles or family probabilities: the
/// nonparametric baseline of the experiments (Garg et al. 2022, §4).
///
/// # Errors
/// As [`predict_summary`]; `k = 0`.
pub fn nearest_neighbours_summary(d: usize, xs: &[f64], ys: &[f64], queries: &[f64], k: usize) -> Result<Summary> {
    predict_summary(&NearestNeighbours::new(k)?, &[], d, xs, ys, queries)
}

/// Least squares with an intercept (the line a reader expects through a 2-D point cloud) on
/// the same context, summarised without quantiles or family probabilities.
///
/// # Errors
/// As [`predict_summary`].
pub fn least_squares_summary(d: usize, xs: &[f64], ys: &[f64], queries: &[f64]) -> Result<Summary> {
    predict_summary(&LeastSquares { intercept: true }, &[], d, xs, ys, queries)
}

/// One function drawn for "sample a function", in one input dimension.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionSample {
    /// `[k]` revealed inputs, `x ~ N(0, 1)`.
    pub xs: Vec<f64>,
    /// `[k]` noisy values `f(x) + σε`.
    pub ys: Vec<f64>,
    /// `[m]` the noiseless function at the requested curve inputs.
    pub curve: Vec<f64>,
    /// The family's text form (as parsed, e.g. `sinusoid(omega_lo=1,omega_hi=1)`).
    pub family: String,
}

/// Draws a function of one input from `family` (text form, see [`FamilySpec::parse`]) with the
/// stream `SeededRng::new(seed)`, reveals `k` noisy points (`σ = noise_std`) exactly as
/// [`Mixture::sample_prompt`] does for a one-family mixture with `d = d_eff = 1`, and evaluates
/// the noiseless function at `curve_xs`.
///
/// # Errors
/// [`crate::Error::InvalidInput`] for an unknown family, bad parameters, a negative or
/// non-finite `noise_std`, more than [`MAX_SAMPLE_POINTS`] points, or non-finite curve inputs.
pub fn sample_function(family: &str, seed: u64, k: usize, noise_std: f64, curve_xs: &[f64]) -> Result<FunctionSample> {
    if k > MAX_SAMPLE_POINTS {
        return invalid(format!("{k} points: at most {MAX_SAMPLE_POINTS} per sample"));
    }
    if curve_xs.len() > MAX_QUERIES {
        return invalid(format!("{} curve points: at most {MAX_QUERIES}", curve_xs.len()));
    }
    crate::error::ensure_finite(curve_xs, "curve x")?;
    let spec = FamilySpec::parse(family)?;
    let noise = NoiseRange::new(noise_std, noise_std)?;
    let prompt = Mixture::single(spec.clone()).sample_prompt(1, 1, k, noise, &mut SeededRng::new(seed))?;
    let curve = curve_xs.iter().map(|&x| prompt.function.eval(&[x])).collect();
    Ok(FunctionSample { xs: prompt.xs, ys: prompt.ys, curve, family: spec.to_string() })
}

/// One family of a pretraining mixture, as the page lists it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FamilyInfo {
    /// Short name (`linear`, `sinusoid`, …): the family head's label.
    pub name: String,
    /// Full text form with parameters (input to [`sample_function`]).
    pub spec: String,
    /// Normalised mixture weight.
    pub weight: f64,
}

/// The families of `mixture` with their normalised weights, in mixture order.
pub fn family_infos(mixture: &Mixture) -> Vec<FamilyInfo> {
    mixture
        .components
        .iter()
        .zip(mixture.probabilities())
        .map(|(comp, weight)| FamilyInfo { name: comp.family.name().into(), spec: comp.family.to_string(), weight })
        .collect()
}

/// What the page needs to know about a loaded model.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelInfo {
    /// The architecture as the weight file records it (`encoding`: `"prefix"`, order-invariant,
    /// or `"interleaved"`, Garg et al.'s causal sequence of model v1; `n_dims`, which the page
    /// pads its 1-D inputs to; `max_points`, so contexts hold at most `max_points − 1` points;
    /// `n_embd`, `n_layer`, `n_head`, `bins`; `families`, the family head's labels).
    pub architecture: ModelConfig,
    /// `[K + 1]` bar borders (the range of `y` seen in pretraining is `[b_0, b_K]`, beyond
    /// which only the half-normal tails remain).
    pub borders: Vec<f64>,
    /// The pretraining mixture in text form (input to the `Reference` constructor).
    pub mixture: String,
    /// Its families in the family head's order, with their text forms and weights.
    pub families: Vec<FamilyInfo>,
    /// Pretraining noise range `[lo, hi]` of σ.
    pub noise: [f64; 2],
    /// Optimiser steps, data seed and preset name.
    pub training_steps: u64,
    pub seed: u64,
    pub preset: String,
}

impl ModelInfo {
    /// The page's view of a model's metadata.
    pub fn from_meta(meta: &ModelMeta) -> Self {
        Self {
            architecture: meta.config.clone(),
            borders: meta.borders.clone(),
            mixture: meta.mixture.to_string(),
            families: family_infos(&meta.mixture),
            noise: [meta.noise.lo, meta.noise.hi],
            training_steps: meta.training_steps,
            seed: meta.seed,
            preset: meta.preset.clone(),
        }
    }
}

/// The transformer's summary for the context `(xs [n, d], ys [n])` at `queries` (`[Q, d]`),
/// `d <= n_dims` (inputs are zero-padded to the model's dimension).
///
/// # Errors
/// As [`predict_summary`].
pub fn model_summary(model: &TransformerPredictor, d: usize, xs: &[f64], ys: &[f64], queries: &[f64]) -> Result<Summary> {
    predict_summary(model, &model.meta().config.families, d, xs, ys, queries)
}

/// The transformer's raw head outputs at `Q` query points, before any softmax: what another
/// runtime of the same weights must reproduce (`./build.sh bench web --vs-ort`).
#[derive(Clone, Debug, PartialEq)]
pub struct Logits {
    /// `[Q, K]` bar-distribution logits, row-major.
    pub bar: Vec<f32>,
    /// `[Q, F]` family logits, row-major.
    pub family: Vec<f32>,
}

/// The transformer's logits for the context `(xs [n, d], ys [n])` at `queries` (`[Q, d]`),
/// from the same inference session as [`model_summary`].
///
/// # Errors
/// As [`predict_summary`].
pub fn model_logits(model: &TransformerPredictor, d: usize, xs: &[f64], ys: &[f64], queries: &[f64]) -> Result<Logits> {
    let context = Context::new(d, xs, ys)?;
    if queries.len() > MAX_QUERIES * d {
        return invalid(format!("{} query points: at most {MAX_QUERIES} per call", queries.len() / d));
    }
    Ok(match InferenceSession::new(model.model(), &context)?.logits(queries)? {
        None => Logits { bar: Vec::new(), family: Vec::new() },
        Some(heads) => Logits {
            bar: heads.bar_logits.flatten_all()?.to_vec1()?,
            family: heads.family_logits.flatten_all()?.to_vec1()?,
        },
    })
}

#[cfg(target_arch = "wasm32")]
mod bindings {
    //! The wasm-bindgen classes and functions over the plain-Rust core above.

    use super::{
        ModelInfo, Summary, covering_prior_text, family_infos, leave_one_out_summary, least_squares_summary, model_logits,
        model_summary, nearest_neighbours_summary, predict_summary, whole_number,
    };
    use crate::baselines::BayesPosterior;
    use crate::model::TransformerPredictor;
    use crate::tasks::{Mixture, NoiseRange};
    use js_sys::{Array, Float32Array, Float64Array, Object, Reflect};
    use wasm_bindgen::prelude::*;

    /// Installs the panic hook when the module is instantiated.
    #[wasm_bindgen(start)]
    fn start() {
        console_error_panic_hook::set_once();
    }

    fn js_error(e: crate::Error) -> JsError {
        JsError::new(&e.to_string())
    }

    fn set(obj: &Object, key: &str, value: &JsValue) -> Result<(), JsError> {
        Reflect::set(obj, &JsValue::from_str(key), value).map_err(|_| JsError::new(&format!("cannot set '{key}'")))?;
        Ok(())
    }

    fn array(values: &Option<Vec<f64>>) -> JsValue {
        values.as_ref().map_or(JsValue::NULL, |v| Float64Array::from(v.as_slice()).into())
    }

    /// A [`Summary`] as `{mean, quantiles, probs, borders, familyProbs, families}`: each a
    /// `Float64Array` that the caller owns (copied out of wasm memory) or `null`.
    pub(super) fn to_js(s: Summary) -> Result<JsValue, JsError> {
        let obj = Object::new();
        set(&obj, "mean", &Float64Array::from(s.mean.as_slice()).into())?;
        set(&obj, "quantiles", &array(&s.quantiles))?;
        set(&obj, "probs", &array(&s.probs))?;
        set(&obj, "borders", &array(&s.borders))?;
        set(&obj, "familyProbs", &array(&s.family_probs))?;
        let families: Array = s.families.iter().map(|f| JsValue::from_str(f)).collect();
        set(&obj, "families", &families.into())?;
        Ok(obj.into())
    }

    fn serialize<T: serde::Serialize>(value: &T) -> Result<JsValue, JsError> {
        value
            .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
            .map_err(|e| JsError::new(&format!("cannot convert to a JS value: {e}")))
    }

    /// A trained in-context transformer.
    #[wasm_bindgen]
    pub struct Model {
        predictor: TransformerPredictor,
    }

    #[wasm_bindgen]
    impl Model {
        /// Loads a model from the bytes of its `.safetensors` file (every tensor's name, shape
        /// and dtype is checked against the architecture in the file's metadata).
        pub fn load(bytes: &[u8]) -> Result<Model, JsError> {
            Ok(Model { predictor: TransformerPredictor::from_bytes(bytes, "browser").map_err(js_error)? })
        }

        /// `{nDims, maxPoints, nEmbd, nLayer, nHead, borders, mixture, families: [{name, spec,
        /// weight}], noise: [lo, hi], trainingSteps, seed, preset}`.
        pub fn info(&self) -> Result<JsValue, JsError> {
            serialize(&ModelInfo::from_meta(self.predictor.meta()))
        }

        /// Predictive distributions at `queries` (`[Q, dim]`) given the context `xs`
        /// (`[n, dim]`), `ys` (`[n]`); `dim` defaults to the model's `n_dims` and may be less
        /// (zero-padded). Returns `{mean [Q], quantiles [5·Q] (levels 5/25/50/75/95 %,
        /// level-major), probs [Q·K], borders [K+1], familyProbs [F], families [F]}`.
        pub fn predict(&self, xs: &[f64], ys: &[f64], queries: &[f64], dim: Option<f64>) -> Result<JsValue, JsError> {
            let d = match dim {
                Some(dim) => whole_number("dim", dim).map_err(js_error)?,
                None => self.predictor.meta().config.n_dims,
            };
            to_js(model_summary(&self.predictor, d, xs, ys, queries).map_err(js_error)?)
        }

        /// The heads' raw logits at `queries` for the context `xs`, `ys` (as `predict`):
        /// `{bar [Q·K], family [Q·F]}`, row-major `Float32Array`s, before any softmax. For
        /// checking another runtime of the same weights (`./build.sh bench web --vs-ort`).
        pub fn logits(&self, xs: &[f64], ys: &[f64], queries: &[f64], dim: Option<f64>) -> Result<JsValue, JsError> {
            let d = match dim {
                Some(dim) => whole_number("dim", dim).map_err(js_error)?,
                None => self.predictor.meta().config.n_dims,
            };
            let logits = model_logits(&self.predictor, d, xs, ys, queries).map_err(js_error)?;
            let obj = Object::new();
            set(&obj, "bar", &Float32Array::from(logits.bar.as_slice()).into())?;
            set(&obj, "family", &Float32Array::from(logits.family.as_slice()).into())?;
            Ok(obj.into())
        }

        /// Leave-one-out predictions on the context `xs` (`[n, dim]`), `ys` (`[n]`): point `i`
        /// predicted from the other `n − 1`. Returns `{mean [n], quantiles [5·n], familyProbs
        /// [F], families [F]}` (`probs`, `borders` null).
        #[wasm_bindgen(js_name = leaveOneOut)]
        pub fn leave_one_out(&self, xs: &[f64], ys: &[f64], dim: Option<f64>) -> Result<JsValue, JsError> {
            let d = match dim {
                Some(dim) => whole_number("dim", dim).map_err(js_error)?,
                None => self.predictor.meta().config.n_dims,
            };
            let families = &self.predictor.meta().config.families;
            to_js(leave_one_out_summary(&self.predictor, families, d, xs, ys).map_err(js_error)?)
        }
    }

    /// The exact Bayes posterior predictive of a pretraining mixture (docs/SCIENCE.md, "The
    /// exact Bayes posterior").
    #[wasm_bindgen]
    pub struct Reference {
        bayes: BayesPosterior,
        mixture: Mixture,
        families: Vec<String>,
        d: usize,
    }

    #[wasm_bindgen]
    impl Reference {
        /// `mixture` in text form (e.g. `linear(bias):0.5,sinusoid(omega_lo=0.5,omega_hi=2.5):0.5`),
        /// the noise range `σ ∈ [noise_lo, noise_hi]`, and the input dimension `dim` (every
        /// family must be valid in it: `sparse_linear(s=2)` needs `dim >= 2`).
        #[wasm_bindgen(constructor)]
        pub fn new(mixture: &str, noise_lo: f64, noise_hi: f64, dim: f64) -> Result<Reference, JsError> {
            let dim = whole_number("dim", dim).map_err(js_error)?;
            let mixture = Mixture::parse(mixture).map_err(js_error)?;
            let noise = NoiseRange::new(noise_lo, noise_hi).map_err(js_error)?;
            let bayes = BayesPosterior::new(&mixture, noise, dim).map_err(js_error)?;
            Ok(Reference { bayes, families: mixture.family_names(), mixture, d: dim })
        }

        /// The mixture's families: `[{name, spec, weight}]` in mixture order.
        pub fn families(&self) -> Result<JsValue, JsError> {
            serialize(&family_infos(&self.mixture))
        }

        /// The Bayes posterior predictive at `queries` (`[Q, dim]`) given `xs` (`[n, dim]`),
        /// `ys` (`[n]`): same shape as `Model.predict`, with `probs` and `borders` `null`.
        pub fn bayes(&self, xs: &[f64], ys: &[f64], queries: &[f64]) -> Result<JsValue, JsError> {
            to_js(predict_summary(&self.bayes, &self.families, self.d, xs, ys, queries).map_err(js_error)?)
        }

        /// Leave-one-out predictions on `xs` (`[n, dim]`), `ys` (`[n]`): same shape as
        /// `Model.leaveOneOut`.
        #[wasm_bindgen(js_name = leaveOneOut)]
        pub fn leave_one_out(&self, xs: &[f64], ys: &[f64]) -> Result<JsValue, JsError> {
            to_js(leave_one_out_summary(&self.bayes, &self.families, self.d, xs, ys).map_err(js_error)?)
        }
    }

    /// The prior of "Bayes, had pretraining covered this function" for a function drawn from
    /// `truth` (family text form) shown to a model pretrained on `mixture`: a family text to
    /// pass to `new Reference(…)` (see [`crate::baselines::covering_prior`]).
    #[wasm_bindgen(js_name = coveringPrior)]
    pub fn covering_prior(truth: &str, mixture: &str) -> Result<String, JsError> {
        covering_prior_text(truth, mixture).map_err(js_error)
    }

    /// Least squares with an intercept at `queries` (`[Q, dim]`) given `xs` (`[n, dim]`), `ys`
    /// (`[n]`): `{mean [Q]}`, the other fields `null` (`families` empty).
    #[wasm_bindgen(js_name = leastSquares)]
    pub fn least_squares(xs: &[f64], ys: &[f64], queries: &[f64], dim: f64) -> Result<JsValue, JsError> {
        let dim = whole_number("dim", dim).map_err(js_error)?;
        to_js(least_squares_summary(dim, xs, ys, queries).map_err(js_error)?)
    }

    /// The mean of the `k` nearest context points at `queries` (`[Q, dim]`) given `xs`
    /// (`[n, dim]`), `ys` (`[n]`): `{mean [Q]}`, the other fields `null`.
    #[wasm_bindgen(js_name = nearestNeighbours)]
    pub fn nearest_neighbours(xs: &[f64], ys: &[f64], queries: &[f64], dim: f64, k: f64) -> Result<JsValue, JsError> {
        let dim = whole_number("dim", dim).map_err(js_error)?;
        let k = whole_number("k", k).map_err(js_error)?;
        to_js(nearest_neighbours_summary(dim, xs, ys, queries, k).map_err(js_error)?)
    }

    /// A seeded draw from `family` in one dimension: `{xs [k], ys [k], curve [m], family}`
    /// (see [`super::sample_function`]).
    #[wasm_bindgen(js_name = sampleFunction)]
    pub fn sample_function(family: &str, seed: f64, k: f64, noise_std: f64, curve_xs: &[f64]) -> Result<JsValue, JsError> {
        let seed = whole_number("seed", seed).map_err(js_error)? as u64;
        let k = whole_number("k", k).map_err(js_error)?;
        let s = super::sample_function(family, seed, k, noise_std, curve_xs).map_err(js_error)?;
        let obj = Object::new();
        set(&obj, "xs", &Float64Array::from(s.xs.as_slice()).into())?;
        set(&obj, "ys", &Float64Array::from(s.ys.as_slice()).into())?;
        set(&obj, "curve", &Float64Array::from(s.curve.as_slice()).into())?;
        set(&obj, "family", &JsValue::from_str(&s.family))?;
        Ok(obj.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::predictive::{BarDistribution, GaussianMixture, normal_quantile};

    /// `Φ⁻¹` at the quantile levels (to about 1e-9).
    fn z() -> [f64; 5] {
        QUANTILE_LEVELS.map(normal_quantile)
    }

    fn gaussian(mean: f64, std: f64, family: Vec<f64>) -> Predictive {
        Predictive {
            mean,
            distribution: Some(Distribution::Gaussian(GaussianMixture::gaussian(mean, std))),
            family_probs: Some(family),
        }
    }

    #[test]
    fn summary_of_gaussians_has_closed_form_quantiles_and_mean_family_probs() {
        let preds = [gaussian(1.0, 2.0, vec![0.2, 0.8]), gaussian(-3.0, 0.5, vec![0.6, 0.4])];
        let names = vec!["linear".to_string(), "sinusoid".to_string()];
        let s = summarise(&preds, &names).unwrap();
        assert_eq!(s.mean, vec![1.0, -3.0]);
        let q = s.quantiles.unwrap();
        for l in 0..5 {
            assert!((q[l * 2] - (1.0 + 2.0 * z()[l])).abs() < 1e-8, "level {l}: {}", q[l * 2]);
            assert!((q[l * 2 + 1] - (-3.0 + 0.5 * z()[l])).abs() < 1e-8, "level {l}: {}", q[l * 2 + 1]);
        }
        let f = s.family_probs.unwrap();
        assert!((f[0] - 0.4).abs() < 1e-15 && (f[1] - 0.6).abs() < 1e-15);
        assert_eq!((s.probs, s.borders), (None, None));
        assert_eq!(s.families, names);
    }

    #[test]
    fn summary_of_bars_flattens_probabilities_and_inverts_the_cdf() {
        let borders = vec![-3.0, -1.0, 0.0, 1.0, 3.0];
        let bar = |probs: Vec<f64>| Predictive {
            mean: 0.0,
            distribution: Some(Distribution::Bar(BarDistribution { borders: borders.clone(), probs })),
            family_probs: None,
        };
        let s = summarise(&[bar(vec![0.1, 0.4, 0.3, 0.2]), bar(vec![0.25, 0.25, 0.25, 0.25])], &[]).unwrap();
        assert_eq!(s.probs.unwrap(), vec![0.1, 0.4, 0.3, 0.2, 0.25, 0.25, 0.25, 0.25]);
        assert_eq!(s.borders.unwrap(), borders);
        let q = s.quantiles.unwrap();
        // First bar: CDF is 0.1 at −1 and rises by 0.4 per unit to 0.5 at 0, so the 25% quantile
        // is −1 + 0.15/0.4 and the median 0; the 75% quantile lies in [0, 1] (mass 0.3) at 0.25/0.3.
        assert!((q[2] - (-1.0 + 0.15 / 0.4)).abs() < 1e-9);
        assert!(q[4].abs() < 1e-9);
        assert!((q[6] - 0.25 / 0.3).abs() < 1e-9);
        // Second bar: the median is 0 and the 25% quantile the border −1.
        assert!(q[5].abs() < 1e-9 && (q[3] + 1.0).abs() < 1e-9);
        assert_eq!(s.family_probs, None);
        // A level in a tail (5% < 10% left-tail mass) agrees with bisection of the CDF.
        let first = BarDistribution { borders: borders.clone(), probs: vec![0.1, 0.4, 0.3, 0.2] };
        assert!((q[0] - first.quantile(0.05)).abs() < 1e-9 && (first.cdf(q[0]) - 0.05).abs() < 1e-10);
        assert!((q[8] - first.quantile(0.95)).abs() < 1e-9);
    }

    #[test]
    fn summary_rejects_mismatched_family_probabilities() {
        let preds = [gaussian(0.0, 1.0, vec![1.0])];
        assert!(summarise(&preds, &["a".into(), "b".into()]).is_err());
    }

    #[test]
    fn least_squares_with_intercept_recovers_a_line() {
        let xs = [-1.0, 0.5, 2.0];
        let ys: Vec<f64> = xs.iter().map(|x| 2.0 * x - 1.0).collect();
        let s = least_squares_summary(1, &xs, &ys, &[0.0, 3.0]).unwrap();
        assert!((s.mean[0] + 1.0).abs() < 1e-9 && (s.mean[1] - 5.0).abs() < 1e-9, "{:?}", s.mean);
        // An empty context predicts 0; malformed input is an error, not a panic.
        assert_eq!(least_squares_summary(1, &[], &[], &[1.0]).unwrap().mean, vec![0.0]);
        assert!(least_squares_summary(0, &[], &[], &[1.0]).is_err());
        assert!(least_squares_summary(1, &[f64::NAN], &[1.0], &[1.0]).is_err());
        assert!(least_squares_summary(2, &[1.0, 2.0], &[1.0], &[1.0]).is_err());
    }

    #[test]
    fn sampled_functions_match_the_tasks_module() {
        let family = "sinusoid(omega_lo=0.5,omega_hi=2.5)";
        let s = sample_function(family, 7, 5, 0.0, &[]).unwrap();
        let prompt = Mixture::parse(family)
            .unwrap()
            .sample_prompt(1, 1, 5, NoiseRange::NONE, &mut SeededRng::new(7))
            .unwrap();
        assert_eq!((&s.xs, &s.ys), (&prompt.xs, &prompt.ys));
        // Noiseless: the revealed values are the curve at the revealed inputs.
        let on_curve = sample_function(family, 7, 5, 0.0, &s.xs).unwrap();
        assert_eq!(on_curve.curve, s.ys);
        // The function is drawn before the points: k does not change it.
        assert_eq!(sample_function(family, 7, 0, 0.0, &[0.3]).unwrap().curve, sample_function(family, 7, 9, 0.1, &[0.3]).unwrap().curve);
        for bad in [("lineer", 3, 0.0), ("linear", MAX_SAMPLE_POINTS + 1, 0.0), ("linear", 3, -1.0), ("convex(alpha=2,linear,linear)", 3, 0.0)] {
            assert!(sample_function(bad.0, 1, bad.1, bad.2, &[]).is_err(), "{bad:?}");
        }
        assert!(sample_function("linear", 1, 1, 0.0, &[f64::INFINITY]).is_err());
    }

    #[test]
    fn logits_are_the_summary_before_its_softmax() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/www/models/linear+sinusoid.safetensors");
        let model = TransformerPredictor::from_bytes(&std::fs::read(path).unwrap(), "test").unwrap();
        let (k, f) = (model.meta().config.bins, model.meta().config.families.len());
        let (xs, ys, queries) = ([-1.0, 0.0, 1.2], [0.5, -0.2, 0.4], [-2.0, 0.3, 2.5, 4.0]);
        let logits = model_logits(&model, 1, &xs, &ys, &queries).unwrap();
        assert_eq!((logits.bar.len(), logits.family.len()), (queries.len() * k, queries.len() * f));
        let summary = model_summary(&model, 1, &xs, &ys, &queries).unwrap();
        let probs = summary.probs.unwrap();
        for (row, (bar, p)) in logits.bar.chunks(k).zip(probs.chunks(k)).enumerate() {
            let max = bar.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let total: f64 = bar.iter().map(|&l| f64::from(l - max).exp()).sum();
            for (l, p) in bar.iter().zip(p) {
                let softmax = f64::from(l - max).exp() / total;
                assert!((softmax - p).abs() < 1e-6, "query {row}: softmax {softmax} vs probability {p}");
            }
        }
        let empty = model_logits(&model, 1, &xs, &ys, &[]).unwrap();
        assert!(empty.bar.is_empty() && empty.family.is_empty());
        assert!(model_logits(&model, 1, &xs, &ys, &[f64::NAN]).is_err());
        assert!(model_logits(&model, 1, &xs, &ys[..2], &[0.0]).is_err());
        assert!(model_logits(&model, 1, &xs, &ys, &vec![0.0; MAX_QUERIES + 1]).is_err());
    }

    #[test]
    fn whole_number_accepts_counts_and_refuses_what_javascript_would_wrap() {
        assert_eq!(whole_number("dim", 0.0).unwrap(), 0);
        assert_eq!(whole_number("dim", 5.0).unwrap(), 5);
        assert_eq!(whole_number("seed", 4294967295.0).unwrap(), 4294967295);
        for bad in [-1.0, 2.5, 4294967296.0, f64::NAN, f64::INFINITY] {
            let message = whole_number("dim", bad).unwrap_err().to_string();
            assert!(message.contains("dim must be a whole number"), "{bad}: {message}");
        }
    }
}
