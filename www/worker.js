// The Web Worker that owns the wasm module, so the page never blocks on inference.
//
// Protocol (DESIGN.md, "Worker protocol"). Page → worker:
//   {type: 'load', id, url, bytes, sha256}        load a model (bytes/sha256 from the manifest)
//   {type: 'reference', mixture, noise: [lo, hi]} Bayes + least squares without a model
//   {type: 'predict', id, xs, ys, queries, want: {model, bayes, ls}}   1-D, model units
//   {type: 'sample', id, family, seed, k, sigma, curveXs}
// Worker → page:
//   {type: 'loading', id, loaded, total}               download progress (bytes)
//   {type: 'ready', backend, model: {id, info, fromCache, loadMs} | null,
//    reference: {mixture, noise, families} | null, referenceError: string | null}
//   {type: 'result', id, model, bayes, ls, ms: {model, bayes, ls}, errors}
//   {type: 'sample', id, sample}
//   {type: 'error', id, stage, message}

import init, { Model, Reference, leastSquares, sampleFunction } from './pkg/incontext.js';

const BACKEND = 'wasm-simd';
let model = null; // {id, wasm: Model, info}
let reference = null; // {mixture, noise, wasm: Reference}
let loadToken = 0;

const wasmReady = init({ module_or_path: new URL('./pkg/incontext_bg.wasm', import.meta.url) });

function fail(id, stage, error) {
  self.postMessage({ type: 'error', id, stage, message: error?.message ?? String(error) });
}

/** Reads a response body with progress messages; `total` comes from the manifest. */
async function readWithProgress(response, id, total) {
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    self.postMessage({ type: 'loading', id, loaded, total });
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.length;
  }
  return bytes;
}

async function sha256Hex(bytes) {
  if (!self.crypto?.subtle) return null; // not a secure context: cannot verify
  const digest = await self.crypto.subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Sets the Bayes posterior's mixture; returns an error message if it cannot be built. */
function setReference(mixture, noise) {
  if (reference && reference.mixture === mixture && reference.noise[0] === noise[0] && reference.noise[1] === noise[1]) {
    return null;
  }
  reference?.wasm.free();
  reference = null;
  try {
    const wasm = new Reference(mixture, noise[0], noise[1], 1);
    reference = { mixture, noise, wasm, families: wasm.families() };
    return null;
  } catch (e) {
    return `the Bayes posterior is unavailable for ${mixture}: ${e.message}`;
  }
}

function referenceInfo() {
  return reference ? { mixture: reference.mixture, noise: reference.noise, families: reference.families } : null;
}

async function load({ id, url, bytes: total, sha256 }) {
  const token = ++loadToken;
  const started = performance.now();
  await wasmReady;
  const cache = self.caches ? await self.caches.match(url).catch(() => undefined) : undefined;
  const response = cache ?? (await fetch(url));
  if (!response.ok) throw new Error(`downloading ${url} failed: HTTP ${response.status}`);
  const bytes = await readWithProgress(response, id, total);
  if (token !== loadToken) return; // a newer load superseded this one
  if (sha256) {
    const actual = await sha256Hex(bytes);
    if (actual !== null && actual !== sha256) {
      throw new Error(`${url} is corrupted or outdated: SHA-256 ${actual.slice(0, 12)}… differs from the manifest's ${sha256.slice(0, 12)}…`);
    }
  }
  const wasm = Model.load(bytes);
  model?.wasm.free();
  const info = wasm.info();
  model = { id, wasm, info };
  const referenceError = setReference(info.mixture, info.noise);
  self.postMessage({
    type: 'ready',
    backend: BACKEND,
    model: { id, info, fromCache: Boolean(cache), loadMs: performance.now() - started },
    reference: referenceInfo(),
    referenceError,
  });
}

/** Owned copies of a summary's buffers to transfer to the page. */
function transferables(...summaries) {
  const out = [];
  for (const s of summaries) {
    if (!s) continue;
    for (const key of ['mean', 'quantiles', 'probs', 'borders', 'familyProbs']) if (s[key]) out.push(s[key].buffer);
  }
  return out;
}

function timed(fn) {
  const t0 = performance.now();
  const value = fn();
  return [value, performance.now() - t0];
}

function predict({ id, xs, ys, queries, want }) {
  const result = { type: 'result', id, model: null, bayes: null, ls: null, ms: {}, errors: {} };
  const x = Float64Array.from(xs);
  const y = Float64Array.from(ys);
  const q = Float64Array.from(queries);
  if (want.model && model) {
    try {
      [result.model, result.ms.model] = timed(() => model.wasm.predict(x, y, q, 1));
    } catch (e) {
      result.errors.model = e.message;
    }
  }
  if (want.bayes && reference) {
    try {
      [result.bayes, result.ms.bayes] = timed(() => reference.wasm.bayes(x, y, q));
    } catch (e) {
      result.errors.bayes = e.message;
    }
  }
  if (want.ls) {
    try {
      [result.ls, result.ms.ls] = timed(() => leastSquares(x, y, q, 1));
    } catch (e) {
      result.errors.ls = e.message;
    }
  }
  self.postMessage(result, transferables(result.model, result.bayes, result.ls));
}

self.onmessage = async ({ data }) => {
  try {
    await wasmReady;
  } catch (e) {
    fail(data?.id, 'init', new Error(`WebAssembly failed to start: ${e.message}`));
    return;
  }
  try {
    switch (data?.type) {
      case 'load':
        await load(data);
        break;
      case 'reference': {
        const referenceError = setReference(data.mixture, data.noise);
        self.postMessage({ type: 'ready', backend: BACKEND, model: null, reference: referenceInfo(), referenceError });
        break;
      }
      case 'predict':
        predict(data);
        break;
      case 'sample': {
        const sample = sampleFunction(data.family, data.seed >>> 0, data.k, data.sigma, Float64Array.from(data.curveXs));
        self.postMessage({ type: 'sample', id: data.id, sample }, [sample.xs.buffer, sample.ys.buffer, sample.curve.buffer]);
        break;
      }
      default:
        throw new Error(`unknown message type '${data?.type}'`);
    }
  } catch (e) {
    fail(data?.id, data?.type, e);
  }
};
