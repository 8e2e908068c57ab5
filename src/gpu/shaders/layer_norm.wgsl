// LayerNorm over rows of E values (Ba et al. 2016): out = (x − μ)/√(σ² + ε)·γ + β, with the
// biased variance computed in a second pass over the centred values, like the CPU kernel.
// x, out: [rows, E]; gamma, beta: [E]. One 64-thread workgroup per row; p.rows = rows.

@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

const WG: u32 = 64u;
const LN_EPS: f32 = 1e-5;

var<workgroup> red: array<f32, 64>;

// Sum of `v` over the workgroup (every thread gets it).
fn workgroup_sum(v: f32, lid: u32) -> f32 {
    red[lid] = v;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s / 2u) {
        if (lid < s) {
            red[lid] += red[lid + s];
        }
        workgroupBarrier();
    }
    let total = red[0];
    workgroupBarrier();
    return total;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    if (wg.x >= p.rows) {
        return;
    }
    let base = wg.x * E;
    var s = 0.0;
    for (var c = lid; c < E; c += WG) {
        s += x[base + c];
    }
    let mean = workgroup_sum(s, lid) / f32(E);
    var ss = 0.0;
    for (var c = lid; c < E; c += WG) {
        let dv = x[base + c] - mean;
        ss += dv * dv;
    }
    let rstd = 1.0 / sqrt(workgroup_sum(ss, lid) / f32(E) + LN_EPS);
    for (var c = lid; c < E; c += WG) {
        out[base + c] = (x[base + c] - mean) * rstd * gamma[c] + beta[c];
    }
}
