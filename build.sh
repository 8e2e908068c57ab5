#!/usr/bin/env bash
# incontext: the one entry point for building and checking the project.
#
#   ./build.sh test    build, run every Rust test, then clippy with warnings as errors
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

# The dev profile (opt-level 1 for the crate, 3 for dependencies; see Cargo.toml) builds
# faster than --release from a clean clone and runs the tests fast enough.
cmd_test() {
    ensure_rust
    log "cargo test"
    cargo test --locked
    log "cargo clippy --all-targets -- -D warnings"
    cargo clippy --locked --all-targets -- -D warnings
    log "test: passed in ${SECONDS}s"
}

usage() {
    sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2
}

case "${1:-}" in
    test) cmd_test ;;
    *)
        usage
        exit 2
        ;;
esac
