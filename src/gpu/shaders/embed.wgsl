// Read-in plus embedding-table row: out[r, c] = (Σ_j tok[r, j]·w[c, j] + bias[c]) + wpe[pos(r), c],
// pos(r) = p.a + r·p.b. Interleaved: wpe holds positions (context tokens a = 0, b = 1; queries,
// which all share position 2k: a = 2k, b = 0). Prefix: wpe holds the two token types (context
// a = 0, b = 0; queries a = 1, b = 0).
// tok: [rows, p.k] (p.k = token width); w: [E, p.k]; wpe: [table rows, E]; out: [rows, E].
// One 64-thread workgroup per row.

@group(0) @binding(1) var<storage, read> tok: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> wpe: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
    let r = wg.x;
    let pos = p.a + r * p.b;
    for (var c = lid; c < E; c += 64u) {
        var s = 0.0;
        for (var j = 0u; j < p.k; j++) {
            s += tok[r * p.k + j] * w[c * p.k + j];
        }
        out[r * E + c] = (s + bias[c]) + wpe[pos * E + c];
    }
}
