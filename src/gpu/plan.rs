//! Activation buffers sized for a query capacity, and the forward pass recorded once as a list
//! of dispatches (kernel, bind group, parameter slot) over them. A prediction only writes its
//! inputs and the parameter block, then encodes the list into one command buffer.

use super::kernels::{Kernel, LINEAR_TILE, Params, Pipelines, ROW_GROUP};
use super::weights::{LinearBuffers, NormBuffers, WeightBuffers};
use crate::model::{Encoding, ModelConfig};

/// `linear.wgsl` mode bits.
const MODE_GELU: u32 = 1;
const MODE_ACCUMULATE: u32 = 2;
/// `attention.wgsl` modes.
const ATTENTION_CAUSAL: u32 = 0;
const ATTENTION_PREFIX: u32 = 1;
const ATTENTION_FULL: u32 = 2;

/// Which token set a dispatch runs over: the context (`T` tokens: `2k` interleaved, `k` prefix)
/// or the queries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Prefix,
    Query,
}

/// What a dispatch computes; sizes not fixed by the model come from the phase's row count.
#[derive(Clone, Copy, Debug)]
enum Op {
    Embed,
    LayerNorm,
    Linear { n: u32, k: u32, mode: u32 },
    /// The context's tokens among themselves: causal (interleaved) or full (prefix).
    ContextAttention,
    PrefixAttention,
    HeadsSoftmax,
}

struct Slot {
    op: Op,
    phase: Phase,
    bind_group: wgpu::BindGroup,
    params_offset: u64,
}

/// The model's sizes the kernels need.
#[derive(Clone, Copy, Debug)]
pub(super) struct Dims {
    pub encoding: Encoding,
    /// Width of a token row, the read-in's input.
    pub token_width: u32,
    pub n_embd: u32,
    pub n_head: u32,
    pub n_layer: u32,
    pub bins: u32,
    pub families: u32,
    /// Most context tokens: `2·max_points` (interleaved) or `max_points` (prefix).
    pub context_tokens: u32,
}

impl Dims {
    pub(super) fn new(cfg: &ModelConfig) -> Self {
        Self {
            encoding: cfg.encoding,
            token_width: cfg.token_width() as u32,
            n_embd: cfg.n_embd as u32,
            n_head: cfg.n_head as u32,
            n_layer: cfg.n_layer as u32,
            bins: cfg.bins as u32,
            families: cfg.families.len() as u32,
            context_tokens: match cfg.encoding {
                Encoding::Interleaved => 2 * cfg.max_points as u32,
                Encoding::Prefix => cfg.max_points as u32,
            },
        }
    }

    fn head_dim(&self) -> u32 {
        self.n_embd / self.n_head
    }

    /// Columns of the stacked head output, `K + F`.
    pub(super) fn outputs(&self) -> u32 {
        self.bins + self.families
    }
}

/// Work and traffic of one prediction, for estimating its speed on a real GPU.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PredictionStats {
    /// Compute dispatches in the prediction's one command buffer.
    pub dispatches: u32,
    /// Command-buffer submissions (always 1 for a non-empty query set).
    pub submissions: u32,
    /// Floating-point operations: 2 per multiply-add of the matrix products and attention, plus
    /// one per elementwise operation (bias, residual, LayerNorm, GELU, softmax; `exp` as one).
    pub flops: u64,
    /// Bytes the dispatches read from and write to storage buffers, each bound range counted
    /// once per dispatch (the traffic a kernel with perfect on-chip reuse needs).
    pub buffer_bytes: u64,
    /// Bytes written from the host before the submission (tokens and parameter blocks).
    pub upload_bytes: u64,
    /// Bytes read back after it (the `[Q, K + F]` probabilities).
    pub readback_bytes: u64,
}

/// Buffers and recorded dispatches for up to `capacity` queries.
pub(super) struct Workspace {
    /// Most queries one prediction may hold with these buffers.
    pub capacity: u32,
    /// `[context_tokens, token_width]` context tokens.
    pub tok_prefix: wgpu::Buffer,
    /// `[capacity, token_width]` query tokens.
    pub tok_queries: wgpu::Buffer,
    /// `[capacity, K + F]` head logits, softmaxed in place.
    pub probs: wgpu::Buffer,
    /// Host-readable copy of `probs`.
    pub staging: wgpu::Buffer,
    params: wgpu::Buffer,
    params_stride: u64,
    slots: Vec<Slot>,
    /// Bytes of every buffer allocated here.
    pub bytes: u64,
}

/// Creates buffers and counts their bytes.
struct Allocator<'a> {
    device: &'a wgpu::Device,
    bytes: u64,
}

impl Allocator<'_> {
    fn buffer(&mut self, label: &str, floats: u32, usage: wgpu::BufferUsages) -> wgpu::Buffer {
        let size = 4 * u64::from(floats.max(1));
        self.bytes += size;
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size,
            usage,
            mapped_at_creation: false,
        })
    }

    fn storage(&mut self, label: &str, floats: u32) -> wgpu::Buffer {
        self.buffer(label, floats, wgpu::BufferUsages::STORAGE)
    }
}

/// Records the dispatch list, creating one bind group per dispatch.
struct Recorder<'a> {
    /// The phase of the dispatches pushed next.
    phase: Phase,
    device: &'a wgpu::Device,
    pipelines: &'a Pipelines,
    params: &'a wgpu::Buffer,
    params_stride: u64,
    slots: Vec<Slot>,
}

impl Recorder<'_> {
    fn push(&mut self, op: Op, buffers: &[&wgpu::Buffer]) {
        let kernel = match op {
            Op::Embed => Kernel::Embed,
            Op::LayerNorm => Kernel::LayerNorm,
            Op::Linear { .. } => Kernel::Linear,
            Op::ContextAttention | Op::PrefixAttention => Kernel::Attention,
            Op::HeadsSoftmax => Kernel::HeadsSoftmax,
        };
        let params_offset = self.slots.len() as u64 * self.params_stride;
        let mut entries = vec![wgpu::BindGroupEntry {
            binding: 0,
            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer: self.params,
                offset: params_offset,
                size: wgpu::BufferSize::new(std::mem::size_of::<Params>() as u64),
            }),
        }];
        entries.extend(buffers.iter().enumerate().map(|(i, b)| wgpu::BindGroupEntry {
            binding: i as u32 + 1,
            resource: b.as_entire_binding(),
        }));
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &self.pipelines.get(kernel).get_bind_group_layout(0),
            entries: &entries,
        });
        self.slots.push(Slot {
            op,
            phase: self.phase,
            bind_group,
            params_offset,
        });
    }

    fn linear(&mut self, x: &wgpu::Buffer, w: &LinearBuffers, out: &wgpu::Buffer, n: u32, k: u32, mode: u32) {
        self.push(Op::Linear { n, k, mode }, &[x, &w.weight, &w.bias, out]);
    }

    fn norm(&mut self, x: &wgpu::Buffer, ln: &NormBuffers, out: &wgpu::Buffer) {
        self.push(Op::LayerNorm, &[x, &ln.gamma, &ln.beta, out]);
    }
}

impl Workspace {
    /// Allocates buffers for up to `capacity` queries and records the forward pass over them.
    ///
    /// The prefix pass keeps each block's `[T, 3E]` q/k/v rows; its last block stops after the
    /// q/k/v projection (only keys and values of the prefix are ever read). The query pass runs
    /// every block with prefix attention, then `ln_f`, the stacked heads and their softmax.
    pub(super) fn new(
        device: &wgpu::Device,
        pipelines: &Pipelines,
        weights: &WeightBuffers,
        dims: Dims,
        capacity: u32,
    ) -> Self {
        let (e, t, q) = (dims.n_embd, dims.context_tokens, capacity);
        let mut alloc = Allocator { device, bytes: 0 };
        let copy_dst = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST;
        let tok_prefix = alloc.buffer("tokens prefix", t * dims.token_width, copy_dst);
        let x_p = alloc.storage("x prefix", t * e);
        let a_p = alloc.storage("a prefix", t * e);
        let fc_p = alloc.storage("fc prefix", t * 4 * e);
        let qkv_p: Vec<wgpu::Buffer> = (0..dims.n_layer)
            .map(|_| alloc.storage("qkv prefix", t * 3 * e))
            .collect();
        let tok_queries = alloc.buffer("tokens queries", q * dims.token_width, copy_dst);
        let x_q = alloc.storage("x queries", q * e);
        let a_q = alloc.storage("a queries", q * e);
        let qkv_q = alloc.storage("qkv queries", q * 3 * e);
        let fc_q = alloc.storage("fc queries", q * 4 * e);
        let probs = alloc.buffer(
            "probs",
            q * dims.outputs(),
            wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        );
        let staging = alloc.buffer(
            "staging",
            q * dims.outputs(),
            wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        );

        let align = u64::from(device.limits().min_uniform_buffer_offset_alignment);
        let params_stride = (std::mem::size_of::<Params>() as u64).div_ceil(align) * align;
        let n_slots = 1 + 7 * u64::from(dims.n_layer) + 1 + 7 * u64::from(dims.n_layer) + 3;
        let params_bytes = n_slots * params_stride;
        alloc.bytes += params_bytes;
        let params = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("params"),
            size: params_bytes,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });

        let mut rec = Recorder {
            phase: Phase::Prefix,
            device,
            pipelines,
            params: &params,
            params_stride,
            slots: Vec::new(),
        };
        let w = weights;
        let last = w.blocks.len() - 1;
        rec.push(
            Op::Embed,
            &[&tok_prefix, &w.read_in.weight, &w.read_in.bias, &w.embedding, &x_p],
        );
        for (l, block) in w.blocks.iter().enumerate() {
            rec.norm(&x_p, &block.ln_1, &a_p);
            rec.linear(&a_p, &block.c_attn, &qkv_p[l], 3 * e, e, 0);
            if l < last {
                rec.push(Op::ContextAttention, &[&qkv_p[l], &qkv_p[l], &a_p]);
                rec.linear(&a_p, &block.attn_proj, &x_p, e, e, MODE_ACCUMULATE);
                rec.norm(&x_p, &block.ln_2, &a_p);
                rec.linear(&a_p, &block.c_fc, &fc_p, 4 * e, e, MODE_GELU);
                rec.linear(&fc_p, &block.mlp_proj, &x_p, e, 4 * e, MODE_ACCUMULATE);
            }
        }
        rec.phase = Phase::Query;
        rec.push(
            Op::Embed,
            &[&tok_queries, &w.read_in.weight, &w.read_in.bias, &w.embedding, &x_q],
        );
        for (l, block) in w.blocks.iter().enumerate() {
            rec.norm(&x_q, &block.ln_1, &a_q);
            rec.linear(&a_q, &block.c_attn, &qkv_q, 3 * e, e, 0);
            rec.push(Op::PrefixAttention, &[&qkv_p[l], &qkv_q, &a_q]);
            rec.linear(&a_q, &block.attn_proj, &x_q, e, e, MODE_ACCUMULATE);
            rec.norm(&x_q, &block.ln_2, &a_q);
            rec.linear(&a_q, &block.c_fc, &fc_q, 4 * e, e, MODE_GELU);
            rec.linear(&fc_q, &block.mlp_proj, &x_q, e, 4 * e, MODE_ACCUMULATE);
        }
        rec.norm(&x_q, &w.ln_f, &a_q);
        rec.linear(&a_q, &w.heads, &probs, dims.outputs(), e, 0);
        rec.push(Op::HeadsSoftmax, &[&probs]);
        let slots = rec.slots;
        debug_assert!(slots.len() as u64 <= n_slots);
        Self {
            capacity,
            tok_prefix,
            tok_queries,
            probs,
            staging,
            params,
            params_stride,
            slots,
            bytes: alloc.bytes,
        }
    }

    /// Writes the parameter blocks for a prefix of `t` tokens and `q ≤ capacity` queries (at
    /// position `t`, right after the prefix), and encodes the dispatches into one compute pass (the prefix
    /// dispatches only when `t > 0`). Returns the prediction's work and traffic.
    pub(super) fn encode(
        &self,
        queue: &wgpu::Queue,
        encoder: &mut wgpu::CommandEncoder,
        pipelines: &Pipelines,
        dims: Dims,
        t: u32,
        q: u32,
    ) -> PredictionStats {
        let mut stats = PredictionStats::default();
        let mut params = vec![0u8; self.slots.len() * self.params_stride as usize];
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("forward"),
            timestamp_writes: None,
        });
        for slot in &self.slots {
            let rows = match slot.phase {
                Phase::Prefix if t == 0 => continue,
                Phase::Prefix => t,
                Phase::Query => q,
            };
            let (block, groups, kernel, work) = dispatch(slot.op, slot.phase, dims, rows, t);
            let at = slot.params_offset as usize;
            params[at..at + std::mem::size_of::<Params>()].copy_from_slice(bytemuck::bytes_of(&block));
            pass.set_pipeline(pipelines.get(kernel));
            pass.set_bind_group(0, &slot.bind_group, &[]);
            pass.dispatch_workgroups(groups.0, groups.1, 1);
            stats.dispatches += 1;
            stats.flops += work.0;
            stats.buffer_bytes += work.1;
        }
        drop(pass);
        queue.write_buffer(&self.params, 0, &params);
        stats.upload_bytes += params.len() as u64;
        stats
    }
}

/// For one dispatch over `rows` rows (`t` prefix tokens): its parameter block, workgroup
/// counts, kernel, and (flops, storage bytes touched).
fn dispatch(op: Op, phase: Phase, dims: Dims, rows: u32, t: u32) -> (Params, (u32, u32), Kernel, (u64, u64)) {
    let (r, e, hd) = (u64::from(rows), u64::from(dims.n_embd), u64::from(dims.head_dim()));
    let row_groups = rows.div_ceil(ROW_GROUP);
    match op {
        Op::Embed => {
            // Row of the embedding table: a + r·b for token r.
            let (a, b) = match (dims.encoding, phase) {
                (Encoding::Interleaved, Phase::Prefix) => (0, 1), // positions 0..2k
                (Encoding::Interleaved, Phase::Query) => (t, 0),  // position 2k
                (Encoding::Prefix, Phase::Prefix) => (0, 0),      // the context type
                (Encoding::Prefix, Phase::Query) => (1, 0),       // the query type
            };
            let dm = u64::from(dims.token_width);
            let block = Params {
                rows,
                k: dims.token_width,
                a,
                b,
                ..Params::default()
            };
            let work = (r * e * (2 * dm + 2), 4 * (r * dm + e * dm + e + 2 * r * e));
            (block, (rows, 1), Kernel::Embed, work)
        }
        Op::LayerNorm => {
            let block = Params {
                rows,
                ..Params::default()
            };
            (
                block,
                (rows, 1),
                Kernel::LayerNorm,
                (8 * r * e, 4 * (2 * r * e + 2 * e)),
            )
        }
        Op::Linear { n, k, mode } => {
            let block = Params {
                rows,
                n,
                k,
                mode,
                ..Params::default()
            };
            let (n64, k64) = (u64::from(n), u64::from(k));
            let extra = 1 + if mode & MODE_GELU != 0 { 8 } else { 0 } + u64::from(mode & MODE_ACCUMULATE != 0);
            let flops = 2 * r * n64 * k64 + extra * r * n64;
            let outputs = if mode & MODE_ACCUMULATE != 0 { 2 } else { 1 };
            let bytes = 4 * (r * k64 + n64 * k64 + n64 + outputs * r * n64);
            (
                block,
                (n.div_ceil(LINEAR_TILE), rows.div_ceil(LINEAR_TILE)),
                Kernel::Linear,
                (flops, bytes),
            )
        }
        Op::ContextAttention => {
            let (mode, keys) = match dims.encoding {
                // Row i sees i + 1 keys.
                Encoding::Interleaved => (ATTENTION_CAUSAL, r * (r + 1) / 2),
                // Every row sees every row.
                Encoding::Prefix => (ATTENTION_FULL, r * r),
            };
            let block = Params {
                rows,
                mode,
                ..Params::default()
            };
            // Per key a q·k dot, a value update and 4 softmax ops.
            let flops = u64::from(dims.n_head) * keys * (4 * hd + 4);
            (
                block,
                (row_groups, dims.n_head),
                Kernel::Attention,
                (flops, 4 * (3 * r * e + r * e)),
            )
        }
        Op::PrefixAttention => {
            let block = Params {
                rows,
                k: t,
                mode: ATTENTION_PREFIX,
                ..Params::default()
            };
            let keys = r * (u64::from(t) + 1);
            let flops = u64::from(dims.n_head) * keys * (4 * hd + 4);
            let bytes = 4 * (2 * u64::from(t) * e + 3 * r * e + r * e);
            (block, (row_groups, dims.n_head), Kernel::Attention, (flops, bytes))
        }
        Op::HeadsSoftmax => {
            let block = Params {
                rows,
                n: dims.outputs(),
                k: dims.bins,
                ..Params::default()
            };
            let o = u64::from(dims.outputs());
            (block, (row_groups, 1), Kernel::HeadsSoftmax, (4 * r * o, 4 * 2 * r * o))
        }
    }
}
