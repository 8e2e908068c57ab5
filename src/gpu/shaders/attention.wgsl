// Scaled dot-product attention (Vaswani et al. 2017) over the GPT-2 qkv layout: row t of a qkv
// buffer is [q (E) | k (E) | v (E)], head h at columns h·HD .. (h+1)·HD of each part.
// One thread per (query row, head); softmax computed online (running max and sum, Milakov &
// Gimelshein 2018), scores scaled by 1/√HD. Output: [rows, E], head h at columns h·HD.
//
// causal:  p.rows = T tokens of `kv`; row i attends to rows 0..=i of `kv` (`cur` unused).
// full:    p.rows = T tokens of `kv`; every row attends to all T rows of `kv` (`cur` unused):
//          the prefix encoding's context.
// prefix:  p.rows = Q queries in `cur`, p.k = P cached rows in `kv`; query i attends to the P
//          cached rows and to itself (row i of `cur`) only: the inference session's pattern.

@group(0) @binding(1) var<storage, read> kv: array<f32>;
@group(0) @binding(2) var<storage, read> cur: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

const LOWEST: f32 = -3.0e38;

struct State {
    m: f32,
    l: f32,
    acc: array<f32, HD>,
}

// Adds key/value row `j` of `buf` (with score `s`) to the running softmax state.
fn add_key(st: ptr<function, State>, s: f32, use_cur: bool, j: u32, h: u32) {
    let m_new = max((*st).m, s);
    let corr = exp((*st).m - m_new);
    let pj = exp(s - m_new);
    (*st).l = (*st).l * corr + pj;
    let vbase = j * 3u * E + 2u * E + h * HD;
    for (var d = 0u; d < HD; d++) {
        var v = 0.0;
        if (use_cur) {
            v = cur[vbase + d];
        } else {
            v = kv[vbase + d];
        }
        (*st).acc[d] = (*st).acc[d] * corr + pj * v;
    }
    (*st).m = m_new;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    let h = gid.y;
    if (i >= p.rows) {
        return;
    }
    // Modes 0 (causal) and 2 (full) run over `kv` alone; mode 1 (prefix) adds `cur`.
    let own_sequence = p.mode != 1u;
    let scale = 1.0 / sqrt(f32(HD));
    var q: array<f32, HD>;
    let qbase = i * 3u * E + h * HD;
    for (var d = 0u; d < HD; d++) {
        if (own_sequence) {
            q[d] = kv[qbase + d] * scale;
        } else {
            q[d] = cur[qbase + d] * scale;
        }
    }
    var st: State;
    st.m = LOWEST;
    st.l = 0.0;
    for (var d = 0u; d < HD; d++) {
        st.acc[d] = 0.0;
    }
    var n_keys = i + 1u;
    if (p.mode == 1u) {
        n_keys = p.k;
    } else if (p.mode == 2u) {
        n_keys = p.rows;
    }
    for (var j = 0u; j < n_keys; j++) {
        let kbase = j * 3u * E + E + h * HD;
        var s = 0.0;
        for (var d = 0u; d < HD; d++) {
            s += q[d] * kv[kbase + d];
        }
        add_key(&st, s, false, j, h);
    }
    if (!own_sequence) {
        let kbase = i * 3u * E + E + h * HD;
        var s = 0.0;
        for (var d = 0u; d < HD; d++) {
            s += q[d] * cur[kbase + d];
        }
        add_key(&st, s, true, i, h);
    }
    let obase = i * E + h * HD;
    for (var d = 0u; d < HD; d++) {
        out[obase + d] = st.acc[d] / st.l;
    }
}
