#!/usr/bin/env bash
# The PyTorch side of the training-speed benchmark: installs torch from PyPI
# into a throw-away venv (.venv-bench, git-ignored; torch is not a project dependency) on first
# use, then runs bench/train_step.py with 2 threads. Arguments are passed on to train_step.py
# (--steps, --warmup, --threads, --json). `--install-only` just prepares the venv.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-bench
if ! "$venv/bin/python" -c "import torch, numpy" 2>/dev/null; then
  echo "bench: installing torch into $venv (large download, once)" >&2
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet torch numpy
fi
if [ "${1:-}" = "--install-only" ]; then exit 0; fi
# One intra-op pool of 2 threads, as the Rust trainer; no inter-op parallelism.
export OMP_NUM_THREADS=2 MKL_NUM_THREADS=2
exec "$venv/bin/python" bench/train_step.py "$@"
