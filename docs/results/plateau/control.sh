#!/usr/bin/env bash
# The loss-plateau control (docs/REPRODUCTION.md, "The plateau"): the same small model, the same
# seed and the same 1000 steps on noiseless 1-D lines with and without an intercept, then each
# model's NSE(k) on 128 prompts (seed 0). Prints one table; writes runs under runs/plateau/.
#
#   docs/results/plateau/control.sh          (about 2 minutes on one core)
set -euo pipefail
cd "$(dirname "$0")/../../.."
cargo build --release --locked --quiet
bin=target/release/incontext
out=runs/plateau
mkdir -p "$out"
# Variants: name, mixture, noise, peak learning rate. 2 layers, 11 points, no curriculum.
variants=("linear linear 0.0,0.0 1e-3" "linear-noisy linear 0.01,0.2 1e-3" "linear-lr1e-4 linear 0.0,0.0 1e-4"
          "linear-bias linear(bias) 0.0,0.0 1e-3")
for v in "${variants[@]}"; do
  read -r name mixture noise lr <<<"$v"
  sed -e 's/^n_dims = .*/n_dims = 1/' -e 's/^max_points = .*/max_points = 11/' -e 's/^steps = .*/steps = 1000/' \
      -e 's/^n_layer = .*/n_layer = 2/' -e "s/^mixture = .*/mixture = \"$mixture\"/" \
      -e "s/^noise = .*/noise = { lo = ${noise%,*}, hi = ${noise#*,} }/" -e "s/^lr = .*/lr = $lr/" \
      -e '/^\[curriculum\]/,$d' presets/e1-linear.toml >"$out/$name.toml"
  rm -f "$out/$name".{safetensors,ckpt.safetensors,log.csv}
  RAYON_NUM_THREADS=1 "$bin" train --config "$out/$name.toml" --out "$out/$name.safetensors" >/dev/null 2>&1
  RAYON_NUM_THREADS=1 "$bin" eval --model "$out/$name.safetensors" --prompts 128 --resamples 20 \
      --out "$out/$name.eval" >/dev/null 2>&1
done
python3 - "$out" "${variants[@]}" <<'PY'
import json, sys
out, variants = sys.argv[1], [v.split() for v in sys.argv[2:]]
print("| variant | mixture | noise σ | peak lr | " + " | ".join(f"NSE k={k}" for k in (1, 2, 5, 10)) + " | least squares k=5 |")
print("|---" * 9 + "|")
for name, mixture, noise, lr in variants:
    report = json.load(open(f"{out}/{name}.eval/report.json"))
    model, ls = report["predictors"][0], report["predictors"][1]
    nse = lambda p, k: f"{p['nse'][k]['mean']:.3f}"
    print(f"| {name} | `{mixture}` | {noise.replace(',', '–')} | {lr} | " + " | ".join(nse(model, k) for k in (1, 2, 5, 10)) + f" | {nse(ls, 5)} |")
PY
