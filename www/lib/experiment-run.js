// The worker half of the live experiments (E6 / E7 in the Experiments view): a sweep over the
// families of one experiment (convex combinations over α, sinusoids over ω). For each family,
// seeded prompts of `context` points plus `queries` held-out points; each predictor of this
// worker predicts the held-out points from the context, and the sweep reports, per family,
// NSE = mean over prompts of the per-prompt mean (ŷ − y)² divided by E[y²] = 1 + σ², with a
// normal 90% interval over prompts (mean ± 1.645 standard errors; prompts are independent).
//
// Request: {id, which, families: [spec per sweep value], seed, prompts, context, queries,
//           noise: [lo, hi], mixture}.
// Messages: {type: 'experiment-progress', id, which, done, total},
//           then {type: 'experiment-result', id, which, series: {name: {nse, lo, hi}}, ms}
//           or {…, error}.

const Z90 = 1.6448536269514722;
let token = 0;

/** Per-prompt σ: a low-discrepancy sequence over [lo, hi] (deterministic, spread evenly). */
export function promptSigma(noise, i) {
  const golden = 0.6180339887498949;
  return noise[0] + (noise[1] - noise[0]) * ((0.5 + i * golden) % 1);
}

/** Mean and normal 90% interval of each row of `rows` ([value][prompt]), divided by `scale`. */
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
 * Runs one sweep. `predictorsFor(family)` returns `{predictors: {name: (xs, ys, queries) =>
 * means}, dispose()}` for that family (a reference that knows the family is built per family);
 * `sample(family, seed, n, sigma)` returns `{xs, ys}` of `n` points. A newer request supersedes a
 * running one (checked between prompts, where the worker yields to its messages).
 */
export async function runSweep(req, { predictorsFor, sample, post }) {
  const mine = ++token;
  const { id, which, families, seed, prompts, context, queries, noise } = req;
  const started = performance.now();
  const rows = {};
  let scale = 0;
  for (let i = 0; i < prompts; i++) scale += 1 + promptSigma(noise, i) ** 2; // every family has E[f(x)²] = 1
  scale /= prompts;
  try {
    for (const [v, family] of families.entries()) {
      const { predictors, dispose } = predictorsFor(family);
      try {
        for (const name of Object.keys(predictors)) rows[name] ??= families.map(() => []);
        for (let i = 0; i < prompts; i++) {
          if (mine !== token) return;
          const s = sample(family, (seed + i) >>> 0, context + queries, promptSigma(noise, i));
          const [xs, ys] = [s.xs.subarray(0, context), s.ys.subarray(0, context)];
          const [qx, qy] = [s.xs.subarray(context), s.ys.subarray(context)];
          for (const [name, predict] of Object.entries(predictors)) {
            const mean = predict(xs, ys, qx);
            rows[name][v].push(qy.reduce((acc, y, j) => acc + (mean[j] - y) ** 2, 0) / queries);
          }
          post({ type: 'experiment-progress', id, which, done: v * prompts + i + 1, total: families.length * prompts });
          if (i % 4 === 3) await new Promise((resolve) => setTimeout(resolve, 0));
        }
      } finally {
        dispose();
      }
    }
  } catch (e) {
    post({ type: 'experiment-result', id, which, error: e?.message ?? String(e) });
    return;
  }
  if (mine !== token) return;
  const series = Object.fromEntries(Object.entries(rows).map(([name, r]) => [name, nseSeries(r, scale)]));
  post({ type: 'experiment-result', id, which, series, ms: performance.now() - started });
}
