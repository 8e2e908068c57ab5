// How well each predictor's curve and 90% band fit: against the true function when it is
// known (a sampled function), else leave-one-out on the points themselves. Pure functions over
// the page's summaries (display units), tested under Node (tests/browser/lib.test.mjs).

/** A share as a percentage ('—' for none). */
export const pct = (v) => (v === null ? '—' : `${Math.round(100 * v)}%`);

/** An error or ratio in two significant digits, in exponent form when very large or small. */
export function num(v) {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(1);
  return a >= 100 ? v.toFixed(0) : v.toPrecision(2);
}

/** Index of the 5% and 95% quantiles in a summary's level-major `quantiles` ([5·Q]). */
const LOW = 0;
const HIGH = 4;

/** The value at `x` of the curve `(xs, ys)` (`xs` increasing), linear in between; null outside. */
export function interpolate(xs, ys, x) {
  const n = xs.length;
  if (n === 0 || x < xs[0] || x > xs[n - 1]) return null;
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid;
    else hi = mid;
  }
  if (hi === lo) return ys[lo];
  const t = (x - xs[lo]) / (xs[hi] - xs[lo]);
  return ys[lo] + t * (ys[hi] - ys[lo]);
}

/**
 * A summary `{xs [Q], mean [Q], quantiles [5·Q] | null}` against the noiseless curve `truth`
 * `{xs, ys}`: `{rmse, coverage, n}` over the queries the curve spans, where `coverage` is the
 * share of them whose true value lies inside the 90% band (null without quantiles). Null when
 * no query lies on the curve.
 */
export function fitToTruth(summary, truth) {
  if (!summary || !truth) return null;
  const q = summary.xs.length;
  let n = 0;
  let squares = 0;
  let inside = 0;
  for (let i = 0; i < q; i += 1) {
    const y = interpolate(truth.xs, truth.ys, summary.xs[i]);
    if (y === null) continue;
    n += 1;
    squares += (summary.mean[i] - y) ** 2;
    if (summary.quantiles && y >= summary.quantiles[LOW * q + i] && y <= summary.quantiles[HIGH * q + i]) inside += 1;
  }
  if (n === 0) return null;
  return { rmse: Math.sqrt(squares / n), coverage: summary.quantiles ? inside / n : null, n };
}

/**
 * Leave-one-out predictions `{mean [n], quantiles [5·n] | null}` (point i from the others)
 * against the observed `ys` [n]: `{rmse, coverage, inside, n}`, `coverage` the share of points
 * inside their own 90% band (null without quantiles).
 */
export function leaveOneOutFit(loo, ys) {
  const n = ys.length;
  if (!loo || n === 0 || loo.mean.length !== n) return null;
  let squares = 0;
  let inside = 0;
  for (let i = 0; i < n; i += 1) {
    squares += (loo.mean[i] - ys[i]) ** 2;
    if (loo.quantiles && ys[i] >= loo.quantiles[LOW * n + i] && ys[i] <= loo.quantiles[HIGH * n + i]) inside += 1;
  }
  return { rmse: Math.sqrt(squares / n), coverage: loo.quantiles ? inside / n : null, inside, n };
}

/**
 * Whether a 90% band holding `coverage` of `n` points is confidently wrong: at least 8 points
 * and a share more than three binomial standard errors (of a calibrated 90% band) below 0.9,
 * so that a calibrated model is flagged about once in a thousand datasets.
 */
export function confidentlyWrong(coverage, n) {
  if (coverage === null || n < 8) return false;
  return coverage < 0.9 - 3 * Math.sqrt((0.9 * 0.1) / n);
}
