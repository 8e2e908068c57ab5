// Shared by every kernel of src/gpu/. The host prepends the model's constants (E, HD) and the
// declaration of `Params`, the uniform block of one dispatch, generated from its Rust struct
// (`uniform_params!` in kernels.rs: one field list for both layouts).

@group(0) @binding(0) var<uniform> p: Params;
