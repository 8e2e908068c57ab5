// Register-tiled matrix multiply with a fused epilogue:
// out[m, n] = act(a[m, :] · w[n, :] + bias[n]) (+ out[m, n] when accumulating).
// a: [rows, k] row-major; w: [n, k] (the PyTorch/candle Linear layout [out, in]); bias: [n].
// p.rows = m, p.n = n, p.k = k, p.mode: bit 0 = tanh-GELU, bit 1 = accumulate into out (residual).
// An 8×8 workgroup computes a 32×32 output tile; each thread a 4×4 block at rows ly + 8i and
// columns lx + 8j (neighbouring threads write neighbouring columns), holding 4 rows of a and 4
// rows of w per step of k in registers: 8 loads per 16 multiply-adds, no workgroup memory and
// no barriers (software rasterisers such as lavapipe and SwiftShader run barriers slowly).
// Rows and columns past the edge read a clamped (valid) index and are not written.

@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

const SQRT_2_OVER_PI: f32 = 0.7978845608028654;

// GELU, tanh approximation, as x·σ(2√(2/π)(x + 0.044715x³)) (identical to ½x(1 + tanh(…))).
fn gelu(x: f32) -> f32 {
    let z = 2.0 * SQRT_2_OVER_PI * x * (1.0 + 0.044715 * x * x);
    return x * (1.0 / (1.0 + exp(-z)));
}

@compute @workgroup_size(8, 8)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let row0 = wg.y * 32u + lid.y;
    let col0 = wg.x * 32u + lid.x;
    let a0 = min(row0, p.rows - 1u) * p.k;
    let a1 = min(row0 + 8u, p.rows - 1u) * p.k;
    let a2 = min(row0 + 16u, p.rows - 1u) * p.k;
    let a3 = min(row0 + 24u, p.rows - 1u) * p.k;
    let w0 = min(col0, p.n - 1u) * p.k;
    let w1 = min(col0 + 8u, p.n - 1u) * p.k;
    let w2 = min(col0 + 16u, p.n - 1u) * p.k;
    let w3 = min(col0 + 24u, p.n - 1u) * p.k;
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    for (var kk = 0u; kk < p.k; kk++) {
        let wv = vec4<f32>(w[w0 + kk], w[w1 + kk], w[w2 + kk], w[w3 + kk]);
        acc0 += a[a0 + kk] * wv;
        acc1 += a[a1 + kk] * wv;
        acc2 += a[a2 + kk] * wv;
        acc3 += a[a3 + kk] * wv;
    }
    let accs = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
    for (var i = 0u; i < 4u; i++) {
        let r = row0 + 8u * i;
        for (var j = 0u; j < 4u; j++) {
            let c = col0 + 8u * j;
            if (r < p.rows && c < p.n) {
                var v = accs[i][j] + bias[c];
                if ((p.mode & 1u) != 0u) {
                    v = gelu(v);
                }
                if ((p.mode & 2u) != 0u) {
                    v = out[r * p.n + c] + v;
                }
                out[r * p.n + c] = v;
            }
        }
    }
}
