//! The GPU path's browser surface (docs/DESIGN.md, "Backends"): the class `GpuModel`, the
//! transformer on WebGPU through [`crate::gpu`], answering with the same summaries as
//! `Model.predict` (wasm SIMD on the CPU) so the worker can switch between the two without the
//! page noticing.
//!
//! [`gpu_summary`] is plain Rust compiled on every target, so native tests check that a GPU
//! prediction summarises to the CPU model's summary.

use super::{Summary, summarise};
use crate::error::Result;
use crate::gpu::GpuPrediction;

/// Summarises a GPU prediction as [`super::model_summary`] summarises the CPU model's: the
/// `Q` bar distributions over `borders [K + 1]`, their means and quantiles, and the family
/// probabilities averaged over the queries.
///
/// # Errors
/// [`crate::Error::InvalidInput`] if `families` does not have one label per family output.
pub fn gpu_summary(prediction: &GpuPrediction, borders: &[f64], families: &[String]) -> Result<Summary> {
    summarise(&prediction.predictives(borders), families)
}

#[cfg(target_arch = "wasm32")]
mod bindings {
    use super::super::{MAX_QUERIES, whole_number};
    use super::super::bindings::to_js;
    use super::gpu_summary;
    use serde::Serialize;
    use std::cell::RefCell;
    use std::rc::Rc;
    use wasm_bindgen::prelude::*;

    fn js_error(e: crate::Error) -> JsError {
        JsError::new(&e.to_string())
    }

    /// The adapter a [`GpuModel`] runs on, as the page shows it.
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct AdapterDescription {
        name: String,
        /// `"DiscreteGpu"`, `"IntegratedGpu"`, `"Cpu"` (a software rasteriser such as
        /// SwiftShader), …
        device_type: String,
        backend: String,
        driver: String,
        /// Whether the adapter emulates a GPU on the CPU.
        software: bool,
    }

    /// The transformer on WebGPU: weights resident on the device, buffers pooled, one
    /// submission and one asynchronous read-back per prediction (src/gpu/).
    #[wasm_bindgen]
    pub struct GpuModel {
        /// Taken out while a prediction runs (a second concurrent call is refused).
        model: Rc<RefCell<Option<crate::gpu::GpuModel>>>,
        borders: Vec<f64>,
        families: Vec<String>,
        n_dims: usize,
        adapter: AdapterDescription,
    }

    #[wasm_bindgen]
    impl GpuModel {
        /// Requests a WebGPU adapter and device from `navigator.gpu`, checks the weight file
        /// (as `Model.load` does), compiles the kernels and uploads the weights. Rejects with
        /// an `Error` naming the reason when WebGPU is unavailable (no `navigator.gpu`, no
        /// adapter, a refused device) or the file is malformed.
        pub async fn load(bytes: Vec<u8>) -> Result<GpuModel, JsError> {
            let (model, meta, info) = crate::gpu::GpuModel::request(&bytes).await.map_err(js_error)?;
            let adapter = AdapterDescription {
                name: info.name.clone(),
                device_type: format!("{:?}", info.device_type),
                backend: format!("{:?}", info.backend),
                driver: format!("{} {}", info.driver, info.driver_info).trim().to_string(),
                software: info.device_type == wgpu::DeviceType::Cpu,
            };
            Ok(GpuModel {
                model: Rc::new(RefCell::new(Some(model))),
                borders: meta.borders,
                families: meta.config.families,
                n_dims: meta.config.n_dims,
                adapter,
            })
        }

        /// `{name, deviceType, backend, driver, software}` of the adapter in use.
        pub fn adapter(&self) -> Result<JsValue, JsError> {
            self.adapter
                .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
                .map_err(|e| JsError::new(&format!("cannot convert to a JS value: {e}")))
        }

        /// Resolves to the predictive distributions at `queries` (`[Q, dim]`) given the context
        /// `xs` (`[n, dim]`), `ys` (`[n]`), in the shape of `Model.predict` (`dim` defaults to
        /// the model's `n_dims`). Rejects with an `Error` for bad input (as `Model.predict`), a
        /// lost device, or a call made while another is running on this model.
        pub fn predict(&self, xs: Vec<f64>, ys: Vec<f64>, queries: Vec<f64>, dim: Option<f64>) -> js_sys::Promise {
            let model = Rc::clone(&self.model);
            let (borders, families) = (self.borders.clone(), self.families.clone());
            let n_dims = self.n_dims;
            wasm_bindgen_futures::future_to_promise(async move {
                let d = match dim {
                    Some(dim) => whole_number("dim", dim).map_err(js_error)?,
                    None => n_dims,
                };
                if d > 0 && queries.len() > MAX_QUERIES * d {
                    return Err(JsError::new(&format!(
                        "{} query points: at most {MAX_QUERIES} per call",
                        queries.len() / d
                    ))
                    .into());
                }
                let taken = model.borrow_mut().take();
                let Some(mut gpu) = taken else {
                    return Err(JsError::new("GPU: a prediction is already running on this model").into());
                };
                let out = gpu.predict(&xs, &ys, &queries, d).await;
                *model.borrow_mut() = Some(gpu);
                let summary = out
                    .and_then(|p| gpu_summary(&p, &borders, &families))
                    .map_err(js_error)?;
                Ok(to_js(summary)?)
            })
        }

        /// Why the device was lost (`null` while it works, and while a prediction runs); after
        /// a loss every prediction rejects, and the worker falls back to wasm.
        #[wasm_bindgen(js_name = lostReason)]
        pub fn lost_reason(&self) -> Option<String> {
            self.model.borrow().as_ref().and_then(|m| m.lost_reason())
        }

        /// Destroys the device, as a GPU reset or driver crash would lose it (for tests of the
        /// fallback, and to release the GPU at once).
        #[wasm_bindgen(js_name = loseDevice)]
        pub fn lose_device(&self) {
            if let Some(m) = self.model.borrow().as_ref() {
                m.destroy();
            }
        }
    }
}
