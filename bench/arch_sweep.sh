#!/usr/bin/env bash
# The zoo's architecture sweep (the zoo needs one architecture, ≤ 1M parameters, justified by a
# small sweep): trains each candidate on the default model's data (presets/linear+sinusoid.toml,
# seed 1) for the same number of steps, then scores it against the exact Bayes posterior on
# seeded prompts. Prints parameters, seconds per step, and NSE / NLL averaged over k = 1…40.
#
#   bench/arch_sweep.sh [STEPS] [PROMPTS]      (defaults 1500 and 256; outputs under runs/sweep/)
#
# Short runs rank architectures by how fast they learn, not by where they end up; the table says so.
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-1500}
prompts=${2:-256}
out=runs/sweep
mkdir -p "$out"
cargo build --release --locked --quiet
bin=target/release/incontext
# layers × width × heads
candidates=("2 64 4" "4 64 4" "6 64 4" "4 128 8")
printf '%-12s %10s %8s %10s %10s %10s %10s\n' arch params s/step "NSE" "NSE Bayes" "NLL" "NLL Bayes"
for c in "${candidates[@]}"; do
  read -r layers width heads <<<"$c"
  name="${layers}x${width}"
  config="$out/$name.toml"
  sed -e "s/^steps = .*/steps = $steps/" -e "s/^n_layer = .*/n_layer = $layers/" \
      -e "s/^n_embd = .*/n_embd = $width/" -e "s/^n_head = .*/n_head = $heads/" \
      presets/linear+sinusoid.toml >"$config"
  rm -f "$out/$name.safetensors" "$out/$name.ckpt.safetensors" "$out/$name.log.csv"
  start=$EPOCHREALTIME
  "$bin" train --config "$config" --out "$out/$name.safetensors" >/dev/null 2>&1
  end=$EPOCHREALTIME
  "$bin" eval --model "$out/$name.safetensors" --predictors bayes --prompts "$prompts" \
      --out "$out/$name.eval" >/dev/null 2>&1
  python3 - "$out/$name" "$start" "$end" "$steps" "$name" <<'PY'
import json, struct, sys
stem, steps, name = sys.argv[1], int(sys.argv[4]), sys.argv[5]
seconds = float(sys.argv[3]) - float(sys.argv[2])
blob = open(stem + ".safetensors", "rb").read()
header = json.loads(blob[8:8 + struct.unpack("<Q", blob[:8])[0]])
params = sum(eval("*".join(map(str, t["shape"])) or "1") for k, t in header.items() if k != "__metadata__")
report = json.load(open(stem + ".eval/report.json"))
def avg(p, key):
    values = [e["mean"] for e in (p[key] or [])[1:] if e is not None]
    return sum(values) / len(values)
model, bayes = report["predictors"][0], report["predictors"][1]
print(f"{name:<12} {params:>10} {seconds / steps:>8.3f} {avg(model, 'nse'):>10.4f} {avg(bayes, 'nse'):>10.4f} "
      f"{avg(model, 'nll'):>10.3f} {avg(bayes, 'nll'):>10.3f}")
PY
done
