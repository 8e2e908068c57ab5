// In-page half of `./build.sh bench web --vs-ort` (driver: bench/vs-ort/run.mjs). Both runtimes
// behind one interface, so the timing loop and the cold-start pages treat them alike:
//
//   const rt = await loadOurs() | await loadOrt()
//   rt.predict(xs, ys, queries)  → {mean [Q], quantiles [5·Q] level-major, probs [Q·K],
//                                   familyProbs [F]}: the page's full curve
//   rt.logits(xs, ys, queries)   → {bar [Q·K], family [Q·F]}: for the agreement check
//
// Ours is the page's wasm package (pkg/incontext.js, Model.predict). onnxruntime-web runs the
// ONNX export of the same weights (bench/export_onnx.py) on its wasm backend, single thread,
// SIMD, no proxy worker; its graph ends in the softmaxes and the mean, and the quantiles are read
// off here in JavaScript exactly as src/predictive.rs does (BarDistribution::quantile).
// Nothing here is served by the demo page: the driver stages this folder with both runtimes.

export const QUANTILE_LEVELS = [0.05, 0.25, 0.5, 0.75, 0.95];
const HALF_NORMAL_MEDIAN = 0.6744897501960817;

/** The project's wasm: `init()` (streaming compile of incontext_bg.wasm) and the model bytes in parallel. */
export async function loadOurs(modelUrl = 'model.safetensors') {
  const [lib, bytes] = await Promise.all([
    import('./pkg/incontext.js').then(async (lib) => {
      await lib.default();
      return lib;
    }),
    fetch(modelUrl).then((r) => r.arrayBuffer()),
  ]);
  const model = lib.Model.load(new Uint8Array(bytes));
  return {
    name: 'incontext',
    lib,
    predict: (xs, ys, queries) => model.predict(xs, ys, queries, 1),
    logits: (xs, ys, queries) => model.logits(xs, ys, queries, 1),
  };
}

/** onnxruntime-web's wasm backend on the ONNX export; its borders and bin means from `<model>.json`. */
export async function loadOrt(modelUrl = 'model.onnx') {
  const ort = await import('./ort/ort.wasm.min.mjs');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmPaths = new URL('./ort/', import.meta.url).href;
  const [session, side] = await Promise.all([
    ort.InferenceSession.create(modelUrl, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' }),
    fetch(`${modelUrl}.json`).then((r) => r.json()),
  ]);
  const borders = Float64Array.from(side.borders);
  const feeds = (xs, ys, queries) => ({
    context_x: new ort.Tensor('float32', Float32Array.from(xs), [xs.length, 1]),
    context_y: new ort.Tensor('float32', Float32Array.from(ys), [ys.length]),
    query_x: new ort.Tensor('float32', Float32Array.from(queries), [queries.length, 1]),
  });
  return {
    name: 'onnxruntime-web',
    ort,
    session,
    async predict(xs, ys, queries) {
      const out = await session.run(feeds(xs, ys, queries), ['probs', 'family_probs', 'mean']);
      const probs = out.probs.data;
      const q = queries.length;
      const k = borders.length - 1;
      const quantiles = new Float64Array(QUANTILE_LEVELS.length * q);
      for (let i = 0; i < q; i += 1) barQuantiles(probs, i * k, borders, QUANTILE_LEVELS, quantiles, i, q);
      const fam = out.family_probs.data;
      const f = fam.length / q;
      const familyProbs = new Float64Array(f);
      for (let i = 0; i < q; i += 1) for (let j = 0; j < f; j += 1) familyProbs[j] += fam[i * f + j] / q;
      return { mean: out.mean.data, quantiles, probs, familyProbs };
    },
    async logits(xs, ys, queries) {
      const out = await session.run(feeds(xs, ys, queries), ['bar_logits', 'family_logits']);
      return { bar: out.bar_logits.data, family: out.family_logits.data };
    },
  };
}

/** erf(x) to about 1e-7 (Numerical Recipes' erfc, Chebyshev fit). */
function erf(x) {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r : r - 1;
}

const normalCdf = (z) => 0.5 * (1 + erf(z / Math.SQRT2));

/**
 * The quantiles at `levels` of the bar distribution `probs[off .. off + K]` on `borders` [K + 1]
 * (inner bins uniform, half-normal tails), written to `out[l·stride + col]`: one pass over the
 * inner bins per level, bisection of the CDF for a level inside a tail (src/predictive.rs).
 */
export function barQuantiles(probs, off, borders, levels, out, col, stride) {
  const k = borders.length - 1;
  const sl = (borders[2] - borders[1]) / HALF_NORMAL_MEDIAN;
  const sr = (borders[k - 1] - borders[k - 2]) / HALF_NORMAL_MEDIAN;
  const cdf = (y) => {
    if (y <= borders[1]) return probs[off] * (2 - 2 * normalCdf((borders[1] - y) / sl));
    let acc = probs[off];
    for (let i = 1; i < k - 1; i += 1) {
      if (y < borders[i + 1]) return acc + (probs[off + i] * (y - borders[i])) / (borders[i + 1] - borders[i]);
      acc += probs[off + i];
    }
    return acc + probs[off + k - 1] * (2 * normalCdf((y - borders[k - 1]) / sr) - 1);
  };
  for (let l = 0; l < levels.length; l += 1) {
    const p = levels[l];
    let below = probs[off];
    let value = NaN;
    for (let i = 1; i < k - 1; i += 1) {
      const pi = probs[off + i];
      if (p > below && p <= below + pi) {
        value = borders[i] + ((p - below) / pi) * (borders[i + 1] - borders[i]);
        break;
      }
      below += pi;
    }
    if (Number.isNaN(value)) {
      let lo = borders[1] - 40 * sl;
      let hi = borders[k - 1] + 40 * sr;
      for (let it = 0; it < 200; it += 1) {
        const mid = 0.5 * (lo + hi);
        if (cdf(mid) < p) lo = mid;
        else hi = mid;
        if (hi - lo <= 1e-12 * (1 + Math.abs(mid))) break;
      }
      value = 0.5 * (lo + hi);
    }
    out[l * stride + col] = value;
  }
}

/** The query grid of the benchmark: Q points evenly on [−3, 3]. */
export const grid = (q) => Float64Array.from({ length: q }, (_, i) => -3 + (6 * i) / (q - 1));

/**
 * Times both runtimes on each row `{n, q, xs, ys}`: `warmup` untimed calls, then `runs` timed
 * calls of each, interleaved (ours then theirs on even runs, the reverse on odd ones). Returns
 * per row the sorted times of each runtime.
 */
export async function timeBoth(a, b, rows, { warmup, runs }) {
  // Both wasm modules reach their optimised tier (V8 compiles hot functions again in the
  // background) before the first row is timed: a second of calls on the largest row.
  const last = rows[rows.length - 1];
  const warm = [Float64Array.from(last.xs), Float64Array.from(last.ys), grid(last.q)];
  for (const t0 = performance.now(); performance.now() - t0 < 1000; ) {
    await a.predict(...warm);
    await b.predict(...warm);
  }
  const result = [];
  for (const row of rows) {
    const xs = Float64Array.from(row.xs);
    const ys = Float64Array.from(row.ys);
    const queries = grid(row.q);
    const times = { [a.name]: [], [b.name]: [] };
    for (let r = 0; r < warmup + runs; r += 1) {
      for (const rt of r % 2 === 0 ? [a, b] : [b, a]) {
        const t0 = performance.now();
        const out = await rt.predict(xs, ys, queries);
        const ms = performance.now() - t0;
        if (out.mean.length !== row.q) throw new Error(`${rt.name}: ${out.mean.length} means for ${row.q} queries`);
        if (r >= warmup) times[rt.name].push(ms);
      }
    }
    for (const t of Object.values(times)) t.sort((x, y) => x - y);
    result.push({ n: row.n, q: row.q, times });
  }
  return result;
}

/** Largest |a − b| over two arrays of equal length (Infinity when the lengths differ). */
function worst(a, b) {
  if (a.length !== b.length) return Infinity;
  let w = 0;
  for (let i = 0; i < a.length; i += 1) w = Math.max(w, Math.abs(a[i] - b[i]));
  return w;
}

/**
 * How far the two runtimes' outputs lie apart on each row: bar and family logits, bin
 * probabilities, means, and quantiles (relative to the row's widest 90% interval).
 */
export async function agreement(a, b, rows) {
  const out = [];
  for (const row of rows) {
    const xs = Float64Array.from(row.xs);
    const ys = Float64Array.from(row.ys);
    const queries = grid(row.q);
    const [la, lb] = [await a.logits(xs, ys, queries), await b.logits(xs, ys, queries)];
    const [pa, pb] = [await a.predict(xs, ys, queries), await b.predict(xs, ys, queries)];
    let width = 0;
    for (let i = 0; i < row.q; i += 1) width = Math.max(width, pa.quantiles[4 * row.q + i] - pa.quantiles[i]);
    out.push({
      n: row.n,
      q: row.q,
      bar_logits: worst(la.bar, lb.bar),
      family_logits: worst(la.family, lb.family),
      probs: worst(pa.probs, pb.probs),
      mean: worst(pa.mean, pb.mean),
      quantiles: worst(pa.quantiles, pb.quantiles),
      quantiles_rel_width: worst(pa.quantiles, pb.quantiles) / width,
      family_probs: worst(pa.familyProbs, pb.familyProbs),
    });
  }
  return out;
}
