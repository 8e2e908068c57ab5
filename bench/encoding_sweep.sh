#!/usr/bin/env bash
# Model-v2 settings sweep at equal CPU seconds: each row trains on the default model's data
# (presets/linear+sinusoid.toml: 50/50 linear(bias) + sinusoid(ω ∈ [0.5, 2.5]), σ ~ U[0.01, 0.2],
# seed 1, no curriculum) for the same CPU budget on one thread, then is scored against the exact
# Bayes posterior on seeded prompts of the same mixture. A 40-step probe run of each row measures
# its CPU seconds per step; the row then trains budget / (s per step) steps with its cosine
# schedule fitted to that horizon. Prints steps, s/step, NSE and NLL (means over k = 1…40).
#
#   bench/encoding_sweep.sh [SECONDS] [PROMPTS]   (defaults 240 and 256; outputs under runs/encoding-sweep/)
set -euo pipefail
cd "$(dirname "$0")/.."
budget=${1:-240}
prompts=${2:-256}
out=runs/encoding-sweep
mkdir -p "$out"
cargo build --release --locked --quiet
bin=target/release/incontext
export RAYON_NUM_THREADS=1
# name | encoding | lr | batch | width | heads
rows=(
  "interleaved interleaved 1e-3 64 64 4"
  "prefix prefix 1e-3 64 64 4"
  "prefix-lr3e-3 prefix 3e-3 64 64 4"
  "prefix-lr3e-4 prefix 3e-4 64 64 4"
  "prefix-batch32 prefix 1e-3 32 64 4"
  "prefix-batch128 prefix 1e-3 128 64 4"
  "prefix-width128 prefix 1e-3 64 128 8"
)
# config NAME STEPS ENCODING LR BATCH WIDTH HEADS: the default preset with these settings.
config() {
  sed -e "s/^steps = .*/steps = $2/" -e "s/^encoding = .*/encoding = \"$3\"/" \
      -e "s/^lr = .*/lr = $4/" -e "s/^min_lr = .*/min_lr = $(python3 -c "print($4 / 10)")/" \
      -e "s/^batch_size = .*/batch_size = $5/" -e "s/^n_embd = .*/n_embd = $6/" -e "s/^n_head = .*/n_head = $7/" \
      -e "s/^checkpoint_interval = .*/checkpoint_interval = 100000/" \
      presets/linear+sinusoid.toml >"$out/$1.toml"
}
# cpu_seconds CMD...: runs CMD, prints its user + system CPU seconds.
cpu_seconds() {
  /usr/bin/time -f '%U %S' -o "$out/.time" "$@" >/dev/null 2>&1
  python3 -c "u, s = open('$out/.time').read().split()[-2:]; print(float(u) + float(s))"
}
printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n|---|---|---|---|---|---|---|---|\n' \
  row encoding "lr, batch, width" steps "CPU s/step" "NSE (Bayes)" "NLL" "NLL Bayes"
for r in "${rows[@]}"; do
  read -r name encoding lr batch width heads <<<"$r"
  config "$name" 40 "$encoding" "$lr" "$batch" "$width" "$heads"
  rm -f "$out/$name".{safetensors,ckpt.safetensors,log.csv}
  probe=$(cpu_seconds "$bin" train --config "$out/$name.toml" --out "$out/$name.safetensors")
  steps=$(python3 -c "print(max(40, round($budget / ($probe / 40))))")
  config "$name" "$steps" "$encoding" "$lr" "$batch" "$width" "$heads"
  rm -f "$out/$name".{safetensors,ckpt.safetensors,log.csv}
  spent=$(cpu_seconds "$bin" train --config "$out/$name.toml" --out "$out/$name.safetensors")
  "$bin" eval --model "$out/$name.safetensors" --predictors bayes --prompts "$prompts" --out "$out/$name.eval" >/dev/null 2>&1
  python3 - "$out/$name" "$name" "$encoding" "$lr, $batch, $width" "$steps" "$spent" <<'PY'
import json, sys
stem, name, encoding, settings, steps, spent = sys.argv[1:]
report = json.load(open(stem + ".eval/report.json"))
def avg(p, key):
    values = [e["mean"] for e in (p[key] or [])[1:] if e is not None]
    return sum(values) / len(values)
model, bayes = report["predictors"][0], report["predictors"][1]
print(f"| {name} | {encoding} | {settings} | {steps} | {float(spent) / int(steps):.3f} | "
      f"{avg(model, 'nse'):.4f} ({avg(bayes, 'nse'):.4f}) | {avg(model, 'nll'):.3f} | {avg(bayes, 'nll'):.3f} |")
PY
done
