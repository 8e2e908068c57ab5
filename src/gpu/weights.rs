//! The model's parameters as GPU storage buffers, uploaded once per model from the same
//! safetensors bytes the CPU path loads (names as in [`crate::model::IclTransformer`]).

use crate::error::{Error, Result};
use crate::model::ModelConfig;
use candle_core::{DType, Device};
use wgpu::util::DeviceExt;

/// A `Linear` layer: weight `[out, in]` and bias `[out]`.
pub(super) struct LinearBuffers {
    pub weight: wgpu::Buffer,
    pub bias: wgpu::Buffer,
}

/// A LayerNorm's `γ [E]` and `β [E]`.
pub(super) struct NormBuffers {
    pub gamma: wgpu::Buffer,
    pub beta: wgpu::Buffer,
}

/// One GPT-2 block's parameters.
pub(super) struct BlockBuffers {
    pub ln_1: NormBuffers,
    /// `[3E, E]`, `[3E]`.
    pub c_attn: LinearBuffers,
    /// `[E, E]`, `[E]`.
    pub attn_proj: LinearBuffers,
    pub ln_2: NormBuffers,
    /// `[4E, E]`, `[4E]`.
    pub c_fc: LinearBuffers,
    /// `[E, 4E]`, `[E]`.
    pub mlp_proj: LinearBuffers,
}

/// Every parameter of the model on the GPU.
pub(super) struct WeightBuffers {
    /// `[E, token_width]`, `[E]`.
    pub read_in: LinearBuffers,
    /// `[embedding_rows, E]`: positions (interleaved) or token types (prefix).
    pub embedding: wgpu::Buffer,
    pub blocks: Vec<BlockBuffers>,
    pub ln_f: NormBuffers,
    /// The two heads stacked: weight `[K + F, E]` (bar rows first), bias `[K + F]`.
    pub heads: LinearBuffers,
    /// Total bytes uploaded.
    pub bytes: u64,
}

/// Reads tensors out of a safetensors file as f32 (f16/bf16 widened, as the CPU loader does).
struct TensorFile<'a> {
    file: safetensors::SafeTensors<'a>,
}

impl TensorFile<'_> {
    fn get(&self, name: &str) -> Result<Vec<f32>> {
        let bad = |e: String| Error::InvalidWeights(format!("tensor '{name}': {e}"));
        let view = self.file.tensor(name).map_err(|e| bad(e.to_string()))?;
        let tensor = candle_core::safetensors::Load::load(&view, &Device::Cpu)
            .and_then(|t| t.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>())
            .map_err(|e| bad(e.to_string()))?;
        Ok(tensor)
    }
}

/// Uploads storage buffers, counting their bytes.
struct Uploader<'a> {
    device: &'a wgpu::Device,
    bytes: u64,
}

impl Uploader<'_> {
    fn upload(&mut self, label: &str, data: &[f32]) -> wgpu::Buffer {
        self.bytes += 4 * data.len() as u64;
        self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(label),
            contents: bytemuck::cast_slice(data),
            usage: wgpu::BufferUsages::STORAGE,
        })
    }

    fn linear(&mut self, file: &TensorFile, name: &str) -> Result<LinearBuffers> {
        Ok(LinearBuffers {
            weight: self.upload(name, &file.get(&format!("{name}.weight"))?),
            bias: self.upload(name, &file.get(&format!("{name}.bias"))?),
        })
    }

    fn norm(&mut self, file: &TensorFile, name: &str) -> Result<NormBuffers> {
        Ok(NormBuffers {
            gamma: self.upload(name, &file.get(&format!("{name}.weight"))?),
            beta: self.upload(name, &file.get(&format!("{name}.bias"))?),
        })
    }
}

impl WeightBuffers {
    /// Uploads every parameter of a weight file whose names and shapes were already checked
    /// against `config` (by [`crate::model::load_model`]).
    ///
    /// # Errors
    /// [`Error::InvalidWeights`] if the bytes are not a readable safetensors file or a tensor is
    /// missing.
    pub(super) fn upload(device: &wgpu::Device, config: &ModelConfig, bytes: &[u8]) -> Result<Self> {
        let file = safetensors::SafeTensors::deserialize(bytes)
            .map_err(|e| Error::InvalidWeights(format!("not a readable safetensors file ({e})")))?;
        let file = TensorFile { file };
        let mut up = Uploader { device, bytes: 0 };
        let read_in = up.linear(&file, "read_in")?;
        let embedding = up.upload("embedding", &file.get(config.embedding_name())?);
        let blocks = (0..config.n_layer)
            .map(|i| {
                let h = format!("h.{i}");
                Ok(BlockBuffers {
                    ln_1: up.norm(&file, &format!("{h}.ln_1"))?,
                    c_attn: up.linear(&file, &format!("{h}.attn.c_attn"))?,
                    attn_proj: up.linear(&file, &format!("{h}.attn.c_proj"))?,
                    ln_2: up.norm(&file, &format!("{h}.ln_2"))?,
                    c_fc: up.linear(&file, &format!("{h}.mlp.c_fc"))?,
                    mlp_proj: up.linear(&file, &format!("{h}.mlp.c_proj"))?,
                })
            })
            .collect::<Result<_>>()?;
        let ln_f = up.norm(&file, "ln_f")?;
        let mut head_w = file.get("bar_head.weight")?; // [K, E]
        head_w.extend(file.get("family_head.weight")?); // [K + F, E]
        let mut head_b = file.get("bar_head.bias")?; // [K]
        head_b.extend(file.get("family_head.bias")?); // [K + F]
        let heads = LinearBuffers {
            weight: up.upload("heads", &head_w),
            bias: up.upload("heads", &head_b),
        };
        Ok(Self {
            read_in,
            embedding,
            blocks,
            ln_f,
            heads,
            bytes: up.bytes,
        })
    }
}
