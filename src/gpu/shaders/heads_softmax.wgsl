// Softmax of the two heads' logits, in place: row r of `logits` is [bar (p.k) | family (p.n − p.k)];
// each segment is normalised on its own (exp(x − max) / Σ, as the CPU softmax). p.rows = rows.
// One thread per row.

@group(0) @binding(1) var<storage, read_write> logits: array<f32>;

fn softmax_segment(start: u32, end: u32) {
    var m = logits[start];
    for (var j = start + 1u; j < end; j++) {
        m = max(m, logits[j]);
    }
    var s = 0.0;
    for (var j = start; j < end; j++) {
        let e = exp(logits[j] - m);
        logits[j] = e;
        s += e;
    }
    for (var j = start; j < end; j++) {
        logits[j] = logits[j] / s;
    }
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let r = gid.x;
    if (r >= p.rows) {
        return;
    }
    softmax_segment(r * p.n, r * p.n + p.k);
    softmax_segment(r * p.n + p.k, (r + 1u) * p.n);
}
