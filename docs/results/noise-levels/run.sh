#!/usr/bin/env bash
# Does a zoo model infer the noise level of its prompt? Each model is scored on prompts whose
# noise σ is fixed (0.01, 0.05, 0.2: the bottom, middle and top of its pretraining range
# U[0.01, 0.2]) against the Bayes posterior that knows σ. A model that infers σ from the
# residuals matches the posterior's 90% coverage at every σ; one that predicts an average width
# covers too much at small σ and too little at large σ. Prints one table (means over k = 1…40).
#
#   docs/results/noise-levels/run.sh [PROMPTS]     (default 512; about a minute per model)
set -euo pipefail
cd "$(dirname "$0")/../../.."
prompts=${1:-512}
cargo build --release --locked --quiet
bin=target/release/incontext
out=runs/noise-levels
mkdir -p "$out"
echo "| model | prompts | σ | NSE model | NSE Bayes | NLL model | NLL Bayes (σ known) | gap | 90% cov. model | 90% cov. Bayes |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for spec in "linear linear(bias)" "linear+sinusoid linear(bias)" "linear+sinusoid sinusoid(omega_lo=0.5,omega_hi=2.5)"; do
  read -r model family <<<"$spec"
  for sigma in 0.01 0.05 0.2; do
    dir="$out/$model-${family%%(*}-$sigma"
    RAYON_NUM_THREADS=1 "$bin" eval --model "www/models/$model.safetensors" --eval-family "$family" \
        --noise "$sigma" --predictors bayes --prompts "$prompts" --resamples 100 --out "$dir" >/dev/null 2>&1
    python3 - "$dir/report.json" "$model" "$family" "$sigma" <<'PY'
import json, sys
report, model, family, sigma = json.load(open(sys.argv[1])), *sys.argv[2:]
m, b = report["predictors"][0], report["predictors"][1]
avg = lambda p, key: sum(e["mean"] for e in p[key][1:]) / len(p[key][1:])
print(f"| {model} | `{family}` | {sigma} | {avg(m, 'nse'):.4f} | {avg(b, 'nse'):.4f} | {avg(m, 'nll'):.3f} | "
      f"{avg(b, 'nll'):.3f} | {avg(m, 'nll') - avg(b, 'nll'):+.3f} | {avg(m, 'coverage_90'):.3f} | {avg(b, 'coverage_90'):.3f} |")
PY
  done
done
