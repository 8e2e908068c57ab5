//! The WGSL compute kernels and their pipelines, compiled once per model: the model's widths are
//! written into each shader as constants (`E`, `HD`), so the attention kernel can keep one head's
//! query and running output in registers.

/// One compute kernel of the forward pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kernel {
    /// Read-in plus position embedding (`embed.wgsl`).
    Embed,
    /// LayerNorm over rows of `E` (`layer_norm.wgsl`).
    LayerNorm,
    /// Tiled `x·Wᵀ + b` with optional GELU and residual accumulation (`linear.wgsl`).
    Linear,
    /// Online-softmax attention, causal or prefix + self (`attention.wgsl`).
    Attention,
    /// In-place softmax of the bar and family logits (`heads_softmax.wgsl`).
    HeadsSoftmax,
}

impl Kernel {
    /// Every kernel, in pipeline order.
    pub(super) const ALL: [Kernel; 5] = [
        Kernel::Embed,
        Kernel::LayerNorm,
        Kernel::Linear,
        Kernel::Attention,
        Kernel::HeadsSoftmax,
    ];

    fn source(self) -> &'static str {
        match self {
            Kernel::Embed => include_str!("shaders/embed.wgsl"),
            Kernel::LayerNorm => include_str!("shaders/layer_norm.wgsl"),
            Kernel::Linear => include_str!("shaders/linear.wgsl"),
            Kernel::Attention => include_str!("shaders/attention.wgsl"),
            Kernel::HeadsSoftmax => include_str!("shaders/heads_softmax.wgsl"),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kernel::Embed => "embed",
            Kernel::LayerNorm => "layer_norm",
            Kernel::Linear => "linear",
            Kernel::Attention => "attention",
            Kernel::HeadsSoftmax => "heads_softmax",
        }
    }

    /// Position in [`Kernel::ALL`].
    pub(super) fn index(self) -> usize {
        self as usize
    }
}

/// Output tile edge of `linear.wgsl` (a workgroup computes `TILE × TILE` outputs).
pub(super) const LINEAR_TILE: u32 = 32;
/// Workgroup size of the one-thread-per-row kernels (attention, heads softmax).
pub(super) const ROW_GROUP: u32 = 64;

/// Declares the uniform parameter block once: the Rust struct the host writes and, from the same
/// field list, its WGSL declaration [`PARAMS_WGSL`], so the two layouts cannot drift apart.
macro_rules! uniform_params {
    ($($field:ident),+ $(,)?) => {
        /// The parameter block every kernel reads (`p: Params` in `common.wgsl`; the meaning
        /// of each field is documented per kernel). `[8] u32`, 32 bytes.
        #[repr(C)]
        #[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
        pub(super) struct Params {
            $(pub(super) $field: u32,)+
        }

        /// WGSL declaration of [`Params`], prepended to every kernel.
        pub(super) const PARAMS_WGSL: &str = concat!("struct Params {\n", $("    ", stringify!($field), ": u32,\n",)+ "}\n");
    };
}

uniform_params!(rows, n, k, mode, a, b, c, d);

/// The kernel's full WGSL source: the model constants, the shared parameter block, the kernel.
pub(super) fn wgsl(kernel: Kernel, n_embd: usize, head_dim: usize) -> String {
    format!(
        "const E: u32 = {n_embd}u;\nconst HD: u32 = {head_dim}u;\n{PARAMS_WGSL}{}\n{}",
        include_str!("shaders/common.wgsl"),
        kernel.source()
    )
}

/// Compiled pipelines, indexed by [`Kernel::index`].
pub(super) struct Pipelines {
    pipelines: Vec<wgpu::ComputePipeline>,
}

impl Pipelines {
    /// Compiles every kernel for a model of width `n_embd` with heads of `head_dim`.
    pub(super) fn new(device: &wgpu::Device, n_embd: usize, head_dim: usize) -> Self {
        let pipelines = Kernel::ALL
            .iter()
            .map(|&kernel| {
                let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some(kernel.name()),
                    source: wgpu::ShaderSource::Wgsl(wgsl(kernel, n_embd, head_dim).into()),
                });
                device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(kernel.name()),
                    layout: None,
                    module: &module,
                    entry_point: Some("main"),
                    compilation_options: Default::default(),
                    cache: None,
                })
            })
            .collect();
        Self { pipelines }
    }

    pub(super) fn get(&self, kernel: Kernel) -> &wgpu::ComputePipeline {
        &self.pipelines[kernel.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wgsl_parameter_block_has_the_rust_layout() {
        // Eight u32 fields in declaration order: 32 bytes on both sides (WGSL's uniform layout
        // puts u32 members at 4-byte offsets, as repr(C) does).
        assert_eq!(std::mem::size_of::<Params>(), 32);
        let fields: Vec<&str> = PARAMS_WGSL.lines().filter_map(|l| l.trim().strip_suffix(": u32,")).collect();
        assert_eq!(fields, ["rows", "n", "k", "mode", "a", "b", "c", "d"]);
        let block = Params { rows: 1, n: 2, k: 3, mode: 4, a: 5, b: 6, c: 7, d: 8 };
        let words: &[u32] = bytemuck::cast_slice(bytemuck::bytes_of(&block));
        assert_eq!(words, [1, 2, 3, 4, 5, 6, 7, 8]);
        // The shader sources declare no second copy.
        for kernel in Kernel::ALL {
            assert_eq!(wgsl(kernel, 64, 16).matches("struct Params").count(), 1, "{}", kernel.name());
        }
    }
}
