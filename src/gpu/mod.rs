//! The WebGPU inference path: the model's forward as WGSL compute kernels on [`wgpu`] (its
//! `webgpu` backend in the browser; natively Vulkan, e.g. Mesa's lavapipe in tests), reading the
//! same safetensors weights and returning the same distributions as the candle CPU
//! [`crate::model::InferenceSession`] (docs/DESIGN.md, "Inference session").
//!
//! A prediction follows the session's context + query pattern: the context's `T` tokens run once
//! (interleaved: `2k` tokens, causally; prefix: `k` tokens, each seeing all), keeping every
//! block's keys and values; then all `Q` query tokens run in one batch, each attending to the
//! context and to itself only. Kernels (`shaders/`): read-in + embedding-table row, LayerNorm, register-tiled `x·Wᵀ + b` with fused GELU and
//! residual accumulation, online-softmax attention (causal, full, and context + self), and the softmax
//! of the stacked bar and family heads. f32 throughout.
//!
//! Weights are uploaded once per model ([`GpuModel::new`]); activation buffers and the recorded
//! list of dispatches (with their bind groups) are pooled and reused across calls, growing only
//! when a call brings more queries than any before; each prediction writes its tokens and one
//! parameter block, submits one command buffer, and reads back the `[Q, K + F]` probabilities
//! with `map_async` awaited as a future (in the browser nothing blocks).

mod kernels;
mod plan;
mod weights;

pub use plan::PredictionStats;

use crate::error::{Error, Result, invalid};
use crate::model::{
    ModelConfig, ModelMeta, Tokens, context_tokens, f32_tensor, load_model, query_tokens, validate_context, validate_model_queries,
};
use crate::predictive::{BarDistribution, Distribution, Predictive};
use crate::tasks::Context;
use kernels::Pipelines;
use plan::{Dims, Workspace};
use std::sync::{Arc, Mutex};
use weights::WeightBuffers;

/// Smallest query capacity allocated (capacities grow in powers of two from here).
const MIN_QUERY_CAPACITY: u32 = 64;

/// The token rows `[b·t·w]` of `tokens`, flat.
fn token_rows(tokens: Tokens) -> Result<Vec<f32>> {
    Ok(tokens.rows.flatten_all()?.to_vec1::<f32>()?)
}

fn gpu_error(msg: impl Into<String>) -> Error {
    Error::Gpu(msg.into())
}

/// Runs `f` (device calls that create or encode work) inside validation and out-of-memory error
/// scopes, turning any error the device reports into [`Error::Gpu`] naming `what`.
async fn scoped<T>(device: &wgpu::Device, what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let validation = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let memory = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
    let out = f();
    let oom = memory.pop().await;
    let invalid = validation.pop().await;
    match oom.or(invalid) {
        Some(e) => Err(gpu_error(format!("{what}: {e}"))),
        None => out,
    }
}

/// Requests a GPU adapter and a device with WebGPU's default limits: natively any Vulkan
/// adapter (lavapipe on a machine without a GPU), in the browser `navigator.gpu`.
///
/// # Errors
/// [`Error::Gpu`] when no adapter is found (natively: install Mesa's `mesa-vulkan-drivers` and
/// `libvulkan1`; in a browser: WebGPU is unavailable or blocked) or the device request fails.
pub async fn request_device() -> Result<(wgpu::Device, wgpu::Queue, wgpu::AdapterInfo)> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle());
    let adapter = instance
        .request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            ..Default::default()
        })
        .await
        .map_err(|e| {
            gpu_error(if cfg!(target_arch = "wasm32") {
                // wgpu lists every backend it was built without; the browser has one question.
                "no GPU adapter found: navigator.gpu is missing or requestAdapter() returned null".to_string()
            } else {
                format!("no GPU adapter found ({e}); install mesa-vulkan-drivers and libvulkan1 for lavapipe")
            })
        })?;
    let info = adapter.get_info();
    let (device, queue) = adapter
        .request_device(&wgpu::DeviceDescriptor {
            label: Some("incontext"),
            required_limits: wgpu::Limits::default(),
            ..Default::default()
        })
        .await
        .map_err(|e| gpu_error(format!("the adapter '{}' refused a device: {e}", info.name)))?;
    Ok((device, queue, info))
}

/// Output of [`GpuModel::predict`] for `Q` queries.
#[derive(Clone, Debug, PartialEq)]
pub struct GpuPrediction {
    /// `[Q, K]` row-major bar-distribution bin probabilities.
    pub bar_probs: Vec<f32>,
    /// `[Q, F]` row-major family probabilities.
    pub family_probs: Vec<f32>,
    /// Bins `K`.
    pub bins: usize,
    /// Families `F`.
    pub families: usize,
    /// Work and traffic of this prediction.
    pub stats: PredictionStats,
}

impl GpuPrediction {
    /// Number of queries `Q`.
    pub fn len(&self) -> usize {
        self.bar_probs.len() / self.bins
    }

    /// Whether there were no queries.
    pub fn is_empty(&self) -> bool {
        self.bar_probs.is_empty()
    }

    /// The `Q` predictive distributions, built exactly as the CPU session builds them (bar
    /// distribution over `borders [K + 1]`, its mean as the point prediction, family
    /// probabilities widened to f64).
    pub fn predictives(&self, borders: &[f64]) -> Vec<Predictive> {
        self.bar_probs
            .chunks_exact(self.bins)
            .zip(self.family_probs.chunks_exact(self.families))
            .map(|(bar, family)| {
                let dist = BarDistribution {
                    borders: borders.to_vec(),
                    probs: bar.iter().map(|&p| f64::from(p)).collect(),
                };
                Predictive {
                    mean: dist.mean(),
                    distribution: Some(Distribution::Bar(dist)),
                    family_probs: Some(family.iter().map(|&p| f64::from(p)).collect()),
                }
            })
            .collect()
    }
}

/// Unmaps the staging buffer when a read-back ends, also when its future is dropped early (a
/// pending map is cancelled), so the next prediction can map it again.
struct UnmapOnDrop<'a>(&'a wgpu::Buffer);

impl Drop for UnmapOnDrop<'_> {
    fn drop(&mut self) {
        self.0.unmap();
    }
}

/// The transformer on a GPU: weights resident, buffers pooled, one submission per prediction.
pub struct GpuModel {
    device: wgpu::Device,
    queue: wgpu::Queue,
    config: ModelConfig,
    borders: Vec<f64>,
    dims: Dims,
    pipelines: Pipelines,
    weights: WeightBuffers,
    workspace: Option<Workspace>,
    max_queries: u32,
    /// Set by the device-lost callback: the reason, after which every call fails.
    lost: Arc<Mutex<Option<String>>>,
    /// The last device error raised outside an error scope, reported by the next prediction.
    uncaptured: Arc<Mutex<Option<String>>>,
}

impl GpuModel {
    /// Checks a weight file (as [`load_model`] does: names, shapes, dtypes, metadata), compiles
    /// the kernels for its architecture and uploads its parameters to `device`.
    ///
    /// # Errors
    /// [`Error::InvalidWeights`] for a malformed file; [`Error::Gpu`] if a kernel fails to
    /// compile or validate on this device.
    pub async fn new(device: wgpu::Device, queue: wgpu::Queue, bytes: &[u8]) -> Result<(Self, ModelMeta)> {
        let (_, meta) = load_model(bytes)?;
        let config = meta.config.clone();
        let dims = Dims::new(&config);
        let (pipelines, weights) = scoped(&device, "the device rejected the kernels or weights", || {
            let pipelines = Pipelines::new(&device, config.n_embd, config.n_embd / config.n_head);
            Ok((pipelines, WeightBuffers::upload(&device, &config, bytes)?))
        })
        .await?;
        let lost = Arc::new(Mutex::new(None));
        let flag = Arc::clone(&lost);
        device.set_device_lost_callback(move |reason, message| {
            if let Ok(mut lost) = flag.lock() {
                *lost = Some(format!("{reason:?}: {message}"));
            }
        });
        // Errors outside the scopes (none are expected) are kept for the next call to report
        // instead of wgpu's default of panicking.
        let uncaptured = Arc::new(Mutex::new(None));
        let slot = Arc::clone(&uncaptured);
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            if let Ok(mut slot) = slot.lock() {
                *slot = Some(e.to_string());
            }
        }));
        let limits = device.limits();
        // The largest per-query buffer is the MLP's [Q, 4E]; row-wise kernels take one
        // workgroup per row.
        let widest_row = 4 * u64::from(dims.n_embd).max(u64::from(dims.outputs())) * 4;
        let by_binding = limits.max_storage_buffer_binding_size.min(limits.max_buffer_size) / widest_row;
        let max_queries = by_binding.min(u64::from(limits.max_compute_workgroups_per_dimension)) as u32;
        let model = Self {
            device,
            queue,
            borders: meta.borders.clone(),
            config,
            dims,
            pipelines,
            weights,
            workspace: None,
            max_queries,
            lost,
            uncaptured,
        };
        Ok((model, meta))
    }

    /// [`request_device`], then [`GpuModel::new`]; also returns the adapter's description.
    ///
    /// # Errors
    /// As both.
    pub async fn request(bytes: &[u8]) -> Result<(Self, ModelMeta, wgpu::AdapterInfo)> {
        let (device, queue, info) = request_device().await?;
        let (model, meta) = Self::new(device, queue, bytes).await?;
        Ok((model, meta, info))
    }

    /// The architecture.
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// `[K + 1]` bar-distribution borders.
    pub fn borders(&self) -> &[f64] {
        &self.borders
    }

    /// Most queries one prediction may hold on this device.
    pub fn max_queries(&self) -> usize {
        self.max_queries as usize
    }

    /// Bytes resident on the device: weights plus the pooled activation buffers.
    pub fn resident_bytes(&self) -> u64 {
        self.weights.bytes + self.workspace.as_ref().map_or(0, |w| w.bytes)
    }

    /// Destroys the device: later predictions fail with [`Error::Gpu`] and
    /// [`GpuModel::lost_reason`] reports the loss (releases the GPU at once; tests use it to
    /// exercise the fallback from a lost device).
    pub fn destroy(&self) {
        self.device.destroy();
    }

    /// Why the device was lost, if it was (then every prediction fails with [`Error::Gpu`]).
    pub fn lost_reason(&self) -> Option<String> {
        self.lost.lock().ok().and_then(|l| l.clone())
    }

    /// Predictive distributions at `queries` (`[Q, d]` row-major) given the context `ctx_xs
    /// [k, d]`, `ctx_ys [k]`: the same numbers as [`crate::model::InferenceSession::predict`] up
    /// to f32 rounding in a different order. The returned future resolves when the read-back
    /// completes; natively it waits for the device, in the browser it yields to the event loop.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for NaN/Inf, `d` of 0 or above the model's `n_dims`, a context of
    /// `max_points` or more pairs, values beyond ±[`crate::model::MAX_ABS_INPUT`] (the checks
    /// of [`validate_context`] and [`validate_model_queries`], as on the CPU), ragged inputs, or
    /// more than [`GpuModel::max_queries`] queries;
    /// [`Error::Gpu`] if the device was lost or the read-back fails.
    pub async fn predict(
        &mut self,
        ctx_xs: &[f64],
        ctx_ys: &[f64],
        queries: &[f64],
        d: usize,
    ) -> Result<GpuPrediction> {
        if let Some(reason) = self.lost_reason() {
            return Err(gpu_error(format!("the GPU device was lost ({reason})")));
        }
        let context = Context::new(d, ctx_xs, ctx_ys)?;
        validate_context(&self.config, &context)?; // the same checks as the CPU session
        let k = context.len();
        let q = validate_model_queries(d, queries)?;
        let (bins, families) = (self.config.bins, self.config.families.len());
        let empty = GpuPrediction {
            bar_probs: vec![],
            family_probs: vec![],
            bins,
            families,
            stats: PredictionStats::default(),
        };
        if q == 0 {
            return Ok(empty);
        }
        if q > self.max_queries() {
            return invalid(format!(
                "{q} queries: this device takes at most {} per call",
                self.max_queries
            ));
        }
        if let Some(e) = self.uncaptured.lock().ok().and_then(|mut slot| slot.take()) {
            return Err(gpu_error(format!("an earlier GPU operation failed: {e}")));
        }

        // Token rows of the context ([T, w]) and the queries ([Q, w]), built as the CPU model
        // builds them; the embedding-table rows they add follow from the encoding (plan.rs).
        let prefix = if k == 0 { Vec::new() } else { token_rows(context_tokens(&self.config, &f32_tensor(context.xs, (1, k, d))?, &f32_tensor(context.ys, (1, k))?)?)? };
        let tokens = token_rows(query_tokens(&self.config, &f32_tensor(queries, (1, q, d))?, k)?)?;
        let t = prefix.len() / self.config.token_width();
        let (q32, t32) = (q as u32, t as u32);
        let out_bytes = 4 * (q * (bins + families)) as u64;
        let stats = scoped(&self.device, "the device rejected the forward pass", || {
            if self.workspace.as_ref().is_none_or(|w| w.capacity < q32) {
                let capacity = q32.next_power_of_two().max(MIN_QUERY_CAPACITY).min(self.max_queries);
                drop(self.workspace.take()); // free the old buffers first
                self.workspace = Some(Workspace::new(
                    &self.device,
                    &self.pipelines,
                    &self.weights,
                    self.dims,
                    capacity,
                ));
            }
            let ws = self.workspace.as_ref().ok_or_else(|| gpu_error("no workspace"))?;
            if k > 0 {
                self.queue
                    .write_buffer(&ws.tok_prefix, 0, bytemuck::cast_slice(&prefix));
            }
            self.queue
                .write_buffer(&ws.tok_queries, 0, bytemuck::cast_slice(&tokens));
            let mut encoder = self
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("predict") });
            let mut stats = ws.encode(&self.queue, &mut encoder, &self.pipelines, self.dims, t32, q32);
            encoder.copy_buffer_to_buffer(&ws.probs, 0, &ws.staging, 0, out_bytes);
            self.queue.submit([encoder.finish()]);
            stats.submissions = 1;
            stats.upload_bytes += 4 * (prefix.len() + tokens.len()) as u64;
            stats.readback_bytes = out_bytes;
            Ok(stats)
        })
        .await?;
        let ws = self.workspace.as_ref().ok_or_else(|| gpu_error("no workspace"))?;

        let unmap = UnmapOnDrop(&ws.staging);
        let slice = ws.staging.slice(..out_bytes);
        let (tx, rx) = futures_channel::oneshot::channel();
        slice.map_async(wgpu::MapMode::Read, move |result| {
            let _ = tx.send(result);
        });
        #[cfg(not(target_arch = "wasm32"))]
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| gpu_error(format!("waiting for the device failed: {e}")))?;
        rx.await
            .map_err(|_| gpu_error("the read-back was cancelled (device lost?)"))?
            .map_err(|e| gpu_error(format!("reading back the probabilities failed: {e}")))?;
        let values: Vec<f32> = {
            let view = slice
                .get_mapped_range()
                .map_err(|e| gpu_error(format!("the read-back is not mapped: {e}")))?;
            bytemuck::pod_collect_to_vec(&view[..])
        };
        drop(unmap);

        let mut bar_probs = Vec::with_capacity(q * bins);
        let mut family_probs = Vec::with_capacity(q * families);
        for row in values.chunks_exact(bins + families) {
            bar_probs.extend_from_slice(&row[..bins]);
            family_probs.extend_from_slice(&row[bins..]);
        }
        Ok(GpuPrediction {
            bar_probs,
            family_probs,
            stats,
            ..empty
        })
    }
}
