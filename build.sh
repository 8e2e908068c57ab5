#!/usr/bin/env bash
# incontext: the one entry point for building and checking the project.
#
#   ./build.sh test    build, run every Rust test, then clippy with warnings as errors, then the
#                      browser tests (wasm parity under Node, headless Chromium end to end)
#   ./build.sh wasm    build the crate for the browser: pkg/ (ES module + .d.ts + package.json)
#                      and www/pkg/, www/sw-version.js
#   ./build.sh serve [--port N]   build what is missing, serve www/ on 127.0.0.1:8080 (or N)
#   ./build.sh bench web          the default model's ms per prediction in headless Chromium
#                                 (wasm) and natively, first-load bytes and time to first prediction
#   ./build.sh bench web --vs-ort the same model exported to ONNX and run by onnxruntime-web (wasm,
#                                 1 thread) beside this project's wasm in one headless Chromium:
#                                 output agreement, ms per full curve, bytes, cold first
#                                 prediction, and the roofline against a native GEMM (bench/vs-ort/);
#                                 `--profile` adds V8 CPU profiles of both (self time per function)
#   ./build.sh bench train        seconds per training step of this trainer and of PyTorch on the
#                                 reference config (2 threads each), their ratio, peak RSS
#   ./build.sh bench gpu          ms per prediction (n = 40, Q = 256 and 1024): CPU session and the
#                                 WebGPU path on native wgpu (dispatches, bytes, FLOPs), then WebGPU
#                                 and wasm SIMD in headless Chromium
#
# Each command installs what it needs first, and only what is missing (a fresh Debian machine
# with Rust, Node and Python is enough). Add a command as one cmd_<name> function plus one
# line in the dispatch at the bottom.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

log() { printf '==> %s\n' "$*" >&2; }

# Runs a command as root: directly when root, else through sudo.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# ensure_apt PKG...: installs those Debian packages that are not installed yet.
ensure_apt() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        log "apt-get install ${missing[*]}"
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    fi
}

# ensure_rust: cargo on PATH, a C linker, and clippy.
ensure_rust() {
    if ! command -v cargo >/dev/null && [ -f "$HOME/.cargo/env" ]; then
        # shellcheck source=/dev/null
        . "$HOME/.cargo/env"
    fi
    command -v cargo >/dev/null || { log "cargo not found: install Rust from https://rustup.rs"; exit 1; }
    command -v cc >/dev/null || ensure_apt gcc libc6-dev
    if ! cargo clippy --version >/dev/null 2>&1; then
        log "rustup component add clippy"
        rustup component add clippy
    fi
}

# --- the browser build (src/wasm.rs, www/, pkg/, tests/browser/) -------------------------------

WASM_TARGET=wasm32-unknown-unknown
WASM_OUT="target/$WASM_TARGET/release/incontext.wasm"
# wasm-opt's feature flags: those the Rust build emits.
WASM_FEATURES=(--enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
    --enable-mutable-globals --enable-reference-types --enable-multivalue)

# The wasm-bindgen version in Cargo.lock: wasm-bindgen-cli must match it exactly.
wasm_bindgen_version() {
    awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

# ensure_node_modules: npm dev-dependencies (binaryen's wasm-opt, playwright-core, vega-datasets).
ensure_node_modules() {
    command -v npm >/dev/null || ensure_apt nodejs npm
    if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
        log "npm ci"
        npm ci --no-audit --no-fund
    fi
}

# ensure_wasm_toolchain: the wasm32 target, wasm-bindgen-cli at the Cargo.lock version, npm tools.
ensure_wasm_toolchain() {
    ensure_rust
    if ! rustup target list --installed | grep -qx "$WASM_TARGET"; then
        log "rustup target add $WASM_TARGET"
        rustup target add "$WASM_TARGET"
    fi
    local want have
    want=$(wasm_bindgen_version)
    have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
    if [ "$have" != "$want" ]; then
        log "cargo install wasm-bindgen-cli --version $want (found: ${have:-none})"
        cargo install wasm-bindgen-cli --version "$want" --force
    fi
    ensure_node_modules
}

# ensure_vulkan: Mesa's Vulkan drivers (lavapipe, a CPU adapter on machines without a GPU) for
# the GPU path's native tests and benchmark; a private XDG_RUNTIME_DIR when none is set (Mesa
# warns without one).
ensure_vulkan() {
    ensure_apt mesa-vulkan-drivers libvulkan1
    if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
        export XDG_RUNTIME_DIR="${TMPDIR:-/tmp}/incontext-xdg-$(id -u)"
        mkdir -p "$XDG_RUNTIME_DIR"
        chmod 700 "$XDG_RUNTIME_DIR"
    fi
}

# ensure_chromium: Debian's Chromium for the headless browser tests.
ensure_chromium() {
    [ -x /usr/bin/chromium ] || ensure_apt chromium
}

cmd_wasm() {
    ensure_wasm_toolchain
    log "cargo build --target $WASM_TARGET (SIMD128)"
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS='--cfg getrandom_backend="wasm_js" -C target-feature=+simd128' \
        cargo build --locked --lib --release --target "$WASM_TARGET" --features webgpu
    if [ ! -f pkg/incontext_bg.wasm ] || [ "$WASM_OUT" -nt pkg/incontext_bg.wasm ]; then
        log "wasm-bindgen → pkg/"
        wasm-bindgen --target web --out-dir pkg --out-name incontext "$WASM_OUT"
        rm -f pkg/incontext_bg.wasm.d.ts
        log "wasm-opt -O3"
        node_modules/.bin/wasm-opt -O3 "${WASM_FEATURES[@]}" pkg/incontext_bg.wasm -o pkg/incontext_bg.wasm.opt
        mv pkg/incontext_bg.wasm.opt pkg/incontext_bg.wasm
    fi
    # pkg/ as an npm package (ES module with types).
    local crate_version
    crate_version=$(awk -F'"' '/^version = / { print $2; exit }' Cargo.toml)
    cat >pkg/package.json <<JSON
{
  "name": "incontext",
  "version": "$crate_version",
  "description": "In-context learning transformer, Bayes posterior and function families in WebAssembly (generated by ./build.sh wasm)",
  "license": "MIT",
  "type": "module",
  "main": "incontext.js",
  "module": "incontext.js",
  "types": "incontext.d.ts",
  "files": ["incontext.js", "incontext.d.ts", "incontext_bg.wasm"],
  "sideEffects": false
}
JSON
    node www/data/extract.mjs >/dev/null
    # The page's CSV parser (an ES module, served as is) and its licence.
    mkdir -p www/vendor
    cp node_modules/d3-dsv/dist/d3-dsv.mjs www/vendor/d3-dsv.js
    cp node_modules/d3-dsv/LICENSE www/vendor/d3-dsv.LICENSE
    node docs/publish-results.mjs >/dev/null
    mkdir -p www/pkg
    cp pkg/incontext.js pkg/incontext.d.ts pkg/incontext_bg.wasm www/pkg/
    write_cache_version
    log "wasm: pkg/incontext_bg.wasm $(wc -c <pkg/incontext_bg.wasm) bytes ($(gzip -9c pkg/incontext_bg.wasm | wc -c) gzipped), cache version $(cat www/sw-version.js)"
}

# write_cache_version: the service worker's cache version, a hash of everything www/ serves
# (so any change there, not only a rebuilt wasm, installs a new version for returning readers).
write_cache_version() {
    local version
    version=$(find www -type f ! -name sw-version.js -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
    printf "self.INCONTEXT_VERSION = '%s';\n" "$version" >www/sw-version.js
}

cmd_serve() {
    local port=8080
    while [ $# -gt 0 ]; do
        case "$1" in
            --port) port="${2:?--port needs a number}"; shift 2 ;;
            --port=*) port="${1#--port=}"; shift ;;
            *) log "serve: unknown option $1"; exit 2 ;;
        esac
    done
    if [ ! -f www/pkg/incontext_bg.wasm ] || [ ! -f www/sw-version.js ] || [ -n "$(find src Cargo.toml -newer www/pkg/incontext_bg.wasm -print -quit)" ]; then
        cmd_wasm
    fi
    node docs/publish-results.mjs >/dev/null
    write_cache_version
    exec node tests/browser/server.mjs --root www --port "$port"
}

# The training-speed benchmark: this trainer's step on presets/bench.toml and
# the same model and step in PyTorch (bench/run_torch.sh, throw-away venv), both on 2 threads,
# one after the other; prints both reports and the ratio.
bench_train() {
    ensure_rust
    log "cargo build --release --bin incontext"
    cargo build --locked --release --bin incontext
    local rust_out torch_out rust_s torch_s
    log "incontext bench train (2 threads)"
    rust_out=$(RAYON_NUM_THREADS=2 target/release/incontext bench train)
    printf '%s\n' "$rust_out"
    log "bench/run_torch.sh (PyTorch, 2 threads)"
    torch_out=$(bench/run_torch.sh --threads 2 --json)
    printf '%s\n' "$torch_out"
    rust_s=$(printf '%s\n' "$rust_out" | sed -n 's/^rust_s_per_step=//p')
    torch_s=$(printf '%s\n' "$torch_out" | tail -n 1 | python3 -c 'import json, sys; print(json.load(sys.stdin)["s_per_step_median"])')
    python3 - "$rust_s" "$torch_s" <<'PY'
import sys
rust, torch = map(float, sys.argv[1:])
print(f"train step: incontext {rust:.4f} s, PyTorch {torch:.4f} s; incontext takes {rust / torch:.2f}x "
      f"PyTorch's time ({torch / rust:.0%} of its throughput; target >= 50%)")
PY
}

# ensure_bench_python: the benchmarks' throw-away venv (.venv-bench, git-ignored) with the onnx
# package and numpy, for the ONNX export and the native GEMM of `bench web --vs-ort` (bench-side
# tools only: the page never uses them).
ensure_bench_python() {
    command -v python3 >/dev/null || ensure_apt python3
    python3 -c 'import ensurepip' 2>/dev/null || ensure_apt python3-venv
    if ! .venv-bench/bin/python -c 'import onnx, numpy' 2>/dev/null; then
        log "pip install onnx numpy into .venv-bench"
        [ -x .venv-bench/bin/python ] || python3 -m venv .venv-bench
        .venv-bench/bin/pip install --quiet 'onnx==1.23.2' 'numpy>=1.26'
    fi
}

# The comparison with onnxruntime-web (an npm dev-dependency, never served by the page): the
# default model (or $INCONTEXT_BENCH_MODEL) exported to ONNX, a native GEMM for the roofline,
# then both runtimes in one headless Chromium (bench/vs-ort/run.mjs); the report is printed and
# written to target/bench-web/vs-ort.{md,json}.
bench_vs_ort() {
    cmd_wasm
    ensure_chromium
    ensure_bench_python
    mkdir -p target/bench-web
    local model
    model=${INCONTEXT_BENCH_MODEL:-www/models/$(node -p "const m = require('./www/models/manifest.json'); m.models.find((e) => e.id === m.default).file")}
    log "bench/export_onnx.py $model → target/bench-web/model.onnx"
    .venv-bench/bin/python bench/export_onnx.py "$model" target/bench-web/model.onnx
    log "bench/gemm_roofline.py (native f32 GEMM, 1 thread)"
    .venv-bench/bin/python bench/gemm_roofline.py --arch target/bench-web/model.onnx.json >target/bench-web/gemm.json
    log "headless Chromium: incontext vs onnxruntime-web"
    node bench/vs-ort/run.mjs --model "$model" --onnx target/bench-web/model.onnx --roofline target/bench-web/gemm.json
}

# V8 CPU profiles of both runtimes' full curve (n = 40, Q = 256) on the site bench_vs_ort staged;
# this project's wasm is rebuilt from the same cargo output with its function names kept
# (wasm-bindgen --keep-debug, wasm-opt -g) into target/bench-web/pkg-names/ for the profile only.
bench_profile() {
    local out=target/bench-web/pkg-names
    mkdir -p "$out"
    log "wasm-bindgen --keep-debug, wasm-opt -O3 -g → $out (function names for the profile)"
    wasm-bindgen --target web --keep-debug --out-dir "$out" --out-name incontext "$WASM_OUT"
    node_modules/.bin/wasm-opt -O3 -g --strip-dwarf "${WASM_FEATURES[@]}" "$out/incontext_bg.wasm" -o "$out/incontext_bg.wasm"
    log "V8 CPU profiles → target/bench-web/profile-{ours,ort}.md"
    node bench/vs-ort/profile.mjs --runtime ours --pkg "$out"
    node bench/vs-ort/profile.mjs --runtime ort
}

cmd_bench() {
    case "${1:-}" in
        web)
            if [ "${2:-}" = "--vs-ort" ]; then
                bench_vs_ort
                if [ "${3:-}" = "--profile" ]; then bench_profile; fi
                return
            fi
            cmd_wasm
            ensure_chromium
            mkdir -p target/bench-web
            log "cargo bench --bench web (native)"
            cargo bench --locked --bench web >target/bench-web/native.json
            log "headless Chromium (wasm)"
            node tests/browser/bench.mjs target/bench-web/native.json
            ;;
        train)
            bench_train
            ;;
        gpu)
            ensure_rust
            ensure_vulkan
            log "cargo bench --bench gpu (CPU session vs the WebGPU path on native wgpu)"
            cargo bench --locked --bench gpu --features webgpu
            cmd_wasm
            ensure_chromium
            log "headless Chromium (WebGPU on SwiftShader vs wasm SIMD, same model and inputs)"
            node tests/browser/bench-gpu.mjs target/bench-gpu/inputs.json
            ;;
        *)
            log "bench: unknown benchmark '${1:-}' (known: web, train, gpu)"
            exit 2
            ;;
    esac
}

# Browser tests: the wasm build against native predictions (tests/wasm_parity.rs writes them
# during `cargo test`), the page's pure modules, and the page end to end in headless Chromium.
test_browser() {
    cmd_wasm
    ensure_chromium
    log "cargo test --test wasm_parity (native half of the parity check)"
    cargo test --locked --test wasm_parity --features webgpu
    log "node --test tests/browser/"
    node --test --test-concurrency=1 tests/browser/
}

# The dev profile (opt-level 1 for the crate, 3 for dependencies; see Cargo.toml) builds
# faster than --release from a clean clone and runs the tests fast enough.
cmd_test() {
    ensure_rust
    ensure_vulkan
    log "cargo test"
    INCONTEXT_REQUIRE_GPU=1 cargo test --locked --no-fail-fast --features webgpu
    log "cargo clippy --all-targets --features webgpu -- -D warnings (and the library alone)"
    cargo clippy --locked --all-targets --features webgpu -- -D warnings
    cargo clippy --locked --lib --no-default-features -- -D warnings
    test_browser
    log "test: passed in ${SECONDS}s"
}

usage() {
    sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2
}

case "${1:-}" in
    test) cmd_test ;;
    wasm) cmd_wasm ;;
    serve) shift; cmd_serve "$@" ;;
    bench) shift; cmd_bench "$@" ;;
    *)
        usage
        exit 2
        ;;
esac
