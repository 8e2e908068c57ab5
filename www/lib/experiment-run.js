// The worker half of the live experiments (E6 / E7 in the Experiments view): draws seeded
// prompts from one family with `sampleFunction`, predicts every point of each prompt from the
// points before it, and reports NSE(k) = mean over prompts of (ŷ − y)² / E[y²] with a normal
// 90% interval (mean ± 1.645 standard errors), as the harness of `incontext eval` defines it
// (SPEC.md, "Metrics"; the harness uses a bootstrap interval instead).
//
// Request: {id, which: 'model' | 'bayes', family, seed, prompts, points, noise: [lo, hi]}.
// Messages: {type: 'experiment-progress', id, which, done, total}, then
//           {type: 'experiment-result', id, which, nse, lo, hi} or {…, error}.

const Z90 = 1.6448536269514722;
let token = 0;

/** Per-prompt σ: a low-discrepancy sequence over [lo, hi] (deterministic, spread evenly). */
export function promptSigma(noise, i) {
  const golden = 0.6180339887498949;
  return noise[0] + (noise[1] - noise[0]) * ((0.5 + i * golden) % 1);
}

/** Mean and normal 90% interval of each row of `rows` ([k][prompt]), divided by `scale`. */
export function nseSeries(rows, scale) {
  const nse = [];
  const lo = [];
  const hi = [];
  for (const v of rows) {
    const n = v.length;
    const mean = v.reduce((a, b) => a + b, 0) / n;
    const variance = n > 1 ? v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
    const half = Z90 * Math.sqrt(variance / n);
    nse.push(mean / scale);
    lo.push(Math.max(0, mean - half) / scale);
    hi.push((mean + half) / scale);
  }
  return { nse, lo, hi };
}

/**
 * Runs one request. `predict(xs, ys, query)` returns the predicted mean at `query` (Float64Array
 * of one x) given the context; `sample(family, seed, k, sigma)` returns {xs, ys}. A newer request
 * supersedes a running one (checked between prompts, where the worker yields to its messages).
 */
export async function runExperiment(req, { predict, sample, post }) {
  const mine = ++token;
  const { id, which, family, seed, prompts, points, noise } = req;
  const rows = Array.from({ length: points }, () => []);
  let scale = 0;
  try {
    for (let i = 0; i < prompts; i++) {
      if (mine !== token) return;
      const sigma = promptSigma(noise, i);
      const s = sample(family, (seed + i) >>> 0, points, sigma);
      for (let k = 0; k < points; k++) {
        const mean = predict(s.xs.subarray(0, k), s.ys.subarray(0, k), s.xs.subarray(k, k + 1));
        rows[k].push((mean - s.ys[k]) ** 2);
      }
      scale += 1 + sigma * sigma; // E[y²] = 1 + σ² (every family has E[f(x)²] = 1)
      post({ type: 'experiment-progress', id, which, done: i + 1, total: prompts });
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  } catch (e) {
    post({ type: 'experiment-result', id, which, error: e?.message ?? String(e) });
    return;
  }
  if (mine !== token) return;
  post({ type: 'experiment-result', id, which, ...nseSeries(rows, scale / prompts) });
}
