// Shared by every kernel of src/gpu/ (the host prepends the model's constants: E, HD, H).
// One uniform block per dispatch; the meaning of each field is documented per kernel.
struct Params {
    rows: u32,
    n: u32,
    k: u32,
    mode: u32,
    a: u32,
    b: u32,
    c: u32,
    d: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
