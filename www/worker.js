// A Web Worker that owns one instance of the wasm module, so the page never blocks on
// inference. A page runs two: one for the transformer, least squares and function draws, one
// for the Bayes posterior (thousands of mixture components: slower, and it must never delay the
// model's curve).
//
// It runs as a dedicated Worker (index.html: one client) or as a SharedWorker (embed.html,
// lib/channel.js `sharedWorkers`): then every demo of the origin, every <incontext-demo> of an
// article and every compare panel among them, is a client of the same two workers. Each client
// (a port) has its own session (its model, Bayes reference, covering reference and backend);
// the wasm module is compiled once per worker and each model file is downloaded, checked and
// loaded once while any session uses it (`ModelStore`).
//
// Protocol (docs/DESIGN.md, "Worker protocol"). Page → worker:
//   {type: 'load', id, url, bytes, sha256}         load a model (size and hash from the manifest)
//   {type: 'reference', mixture, noise: [lo, hi]}  set the Bayes posterior's pretraining mixture
//   {type: 'covering', truth, mixture, sigma}      set (truth = family text) or clear (null) the
//                                                   Bayes posterior of a prior covering the truth
//   {type: 'predict', id, xs, ys, queries, want: {model, bayes, covering, ls, loo}}   1-D, model units
//   {type: 'sample', id, family, seed, k, sigma, curveXs}
//   {type: 'backend', preference: 'auto' | 'webgpu' | 'wasm-simd'}   the reader's backend choice
//   {type: 'experiment', id, which: 'model' | 'bayes', families, seed, prompts, context, queries, noise, mixture}
//                                                   a sweep of NSE over families (lib/experiment-run.js):
//                                                   the model worker runs the model and 3-NN, the Bayes
//                                                   worker the pretraining-prior and the covering Bayes
//   {type: 'close'}                                 (shared worker) this client is gone: end its session
// Worker → page:
//   {type: 'loading', id, loaded, total}           model download progress (bytes)
//   {type: 'ready', backend, backendStatus, model: {id, info, fromCache, shared, loadMs}}
//                                                   shared: another session of a shared worker had it
//   {type: 'backend', backend, preference, note, adapter}   after a choice or a fallback (lib/backend.js)
//   {type: 'reference', backend, reference: {mixture, noise, families} | null, error}
//   {type: 'covering', covering: {truth, mixture, prior, sigma} | null, error}
//   {type: 'result', id, model, bayes, covering, ls, looModel, looBayes, ms: {…}, errors: {…}}
//                                                   loo…: leave-one-out on the context (want.loo)
//   {type: 'sample', id, sample: {xs, ys, curve, family}}
//   {type: 'experiment-progress' | 'experiment-result', id, which, …}   (lib/experiment-run.js)
//   {type: 'error', id, stage, message}
// Summaries hold Float64Arrays whose buffers are transferred to the page.

import init, { Model, Reference, GpuModel, coveringPrior, leastSquares, nearestNeighbours, sampleFunction } from './pkg/incontext.js';
import { Backends } from './lib/backend.js';
import { runSweep } from './lib/experiment-run.js';

const BACKEND = 'wasm-simd'; // the Bayes worker's, and the model's until WebGPU is up

/**
 * Frees wasm objects only once no unfinished call holds them: a load may replace the model (or
 * the Bayes reference) while a sweep or a WebGPU fallback still uses the old one.
 */
class Leases {
  constructor() {
    this.count = new Map();
    this.retired = new Set();
  }

  /** Marks `obj` in use; returns the function that ends this use. */
  hold(obj) {
    this.count.set(obj, (this.count.get(obj) ?? 0) + 1);
    return () => this.#drop(obj);
  }

  /** Frees `obj` now, or when its last use ends. */
  retire(obj) {
    if (!obj) return;
    if (this.count.get(obj)) this.retired.add(obj);
    else obj.free();
  }

  #drop(obj) {
    const n = this.count.get(obj) - 1;
    if (n > 0) {
      this.count.set(obj, n);
      return;
    }
    this.count.delete(obj);
    if (this.retired.delete(obj)) obj.free();
  }
}

const leases = new Leases();
const wasmReady = init({ module_or_path: new URL('./pkg/incontext_bg.wasm', import.meta.url) });

/** Reads a response body, calling `progress(loaded)` after each chunk. */
async function readWithProgress(response, progress) {
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    progress(loaded);
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

/** Downloads (or takes from the offline cache), checks and loads one model file. */
async function fetchModel({ url, sha256 }, progress) {
  const cached = self.caches ? await self.caches.match(url).catch(() => undefined) : undefined;
  let response = cached;
  try {
    response ??= await fetch(url);
  } catch (e) {
    throw new Error(self.navigator.onLine === false
      ? 'you are offline and this model was never downloaded here (models are saved for offline use once loaded online)'
      : `downloading ${url} failed: ${e.message}`);
  }
  if (!response.ok) throw new Error(`downloading ${url} failed: HTTP ${response.status}`);
  const bytes = await readWithProgress(response, progress);
  if (sha256) {
    const actual = await sha256Hex(bytes);
    if (actual !== null && actual !== sha256) {
      throw new Error(`${url} does not match the manifest (SHA-256 ${actual.slice(0, 12)}…, expected ${sha256.slice(0, 12)}…)`);
    }
  }
  const wasm = Model.load(bytes);
  return { wasm, info: wasm.info(), bytes, fromCache: Boolean(cached) };
}

/**
 * The loaded models of this worker, by file and hash: a model two sessions use is downloaded
 * and loaded once. A model no session uses any more is retired (freed once no call holds it).
 */
class ModelStore {
  constructor() {
    this.entries = new Map(); // key → {promise, users, listeners: Set of progress callbacks}
  }

  /** A model for one session: resolves to `{wasm, info, bytes, fromCache, shared}`. */
  acquire(request, progress) {
    const key = `${request.url}#${request.sha256 ?? ''}`;
    let entry = this.entries.get(key);
    const shared = Boolean(entry);
    if (!entry) {
      entry = { users: 0, listeners: new Set() };
      entry.promise = fetchModel(request, (loaded) => entry.listeners.forEach((f) => f(loaded)));
      entry.promise.catch(() => this.entries.get(key) === entry && this.entries.delete(key)); // a failed load is retried next time
      this.entries.set(key, entry);
    }
    entry.users += 1;
    entry.listeners.add(progress);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      entry.listeners.delete(progress);
      entry.users -= 1;
      if (entry.users > 0 || this.entries.get(key) !== entry) return;
      this.entries.delete(key);
      entry.promise.then((m) => leases.retire(m.wasm), () => {});
    };
    const model = entry.promise.then((m) => {
      entry.listeners.delete(progress);
      return { ...m, shared };
    }, (e) => {
      release();
      throw e;
    });
    return { model, release };
  }
}

const models = new ModelStore();

/** One client of this worker: its model, its Bayes references, its backend; `post` answers it. */
class Session {
  constructor(post) {
    this.post = post;
    this.backends = new Backends(GpuModel, self.navigator); // the model's: WebGPU or wasm SIMD
    this.model = null; // {id, wasm, info, release}
    this.reference = null; // {mixture, noise, families, wasm: Reference}
    this.covering = null; // {truth, prior, sigma, wasm: Reference}: Bayes had pretraining covered the truth
    this.loadToken = 0;
    this.releaseLoading = null; // the model store's hold on a load in flight
  }

  async load({ id, url, bytes: total, sha256 }) {
    const token = ++this.loadToken;
    const started = performance.now();
    this.releaseLoading?.();
    const { model: loading, release } = models.acquire({ url, sha256 }, (loaded) => {
      if (token === this.loadToken) this.post({ type: 'loading', id, loaded, total });
    });
    this.releaseLoading = release;
    let loaded;
    try {
      loaded = await loading;
    } finally {
      if (this.releaseLoading === release) this.releaseLoading = null;
    }
    if (token !== this.loadToken) {
      release(); // a newer load superseded this one
      return;
    }
    this.model?.release();
    this.model = { id, wasm: loaded.wasm, info: loaded.info, release };
    // Releases the previous model's GPU copy at once; WebGPU comes up after the first answers
    // (from wasm), and a 'backend' message says when it does or why it does not.
    const gpuReady = this.backends.load(loaded.bytes);
    this.post({
      type: 'ready',
      backend: this.backends.backend,
      backendStatus: this.backends.status(),
      model: { id, info: loaded.info, fromCache: loaded.fromCache, shared: loaded.shared, loadMs: performance.now() - started },
    });
    const backend = await gpuReady;
    if (token === this.loadToken) this.post({ type: 'backend', ...backend });
  }

  setReference({ mixture, noise }) {
    const { reference } = this;
    const same = reference && reference.mixture === mixture && reference.noise[0] === noise[0] && reference.noise[1] === noise[1];
    let error = null;
    if (!same) {
      leases.retire(reference?.wasm);
      this.reference = null;
      try {
        const wasm = new Reference(mixture, noise[0], noise[1], 1);
        this.reference = { mixture, noise, wasm, families: wasm.families() };
      } catch (e) {
        error = `The Bayes posterior is unavailable for ${mixture}: ${e.message}`;
      }
    }
    const r = this.reference;
    const info = r && { mixture: r.mixture, noise: r.noise, families: r.families };
    this.post({ type: 'reference', backend: BACKEND, reference: info, error });
  }

  /** The reference that knows the true family: its prior covers the shown function's family. */
  setCovering({ truth, mixture, sigma }) {
    const { covering } = this;
    const same = covering && truth && covering.truth === truth && covering.mixture === mixture && covering.sigma === sigma;
    let error = null;
    if (!same) {
      leases.retire(covering?.wasm);
      this.covering = null;
      if (truth) {
        try {
          const prior = coveringPrior(truth, mixture);
          this.covering = { truth, mixture, prior, sigma, wasm: new Reference(prior, sigma, sigma, 1) };
        } catch (e) {
          error = `The Bayes posterior that knows the true family is unavailable for ${truth}: ${e.message}`;
        }
      }
    }
    const c = this.covering;
    const info = c && { truth: c.truth, mixture: c.mixture, prior: c.prior, sigma: c.sigma };
    this.post({ type: 'covering', covering: info, error });
  }

  /** The model worker's predictors in a sweep: the transformer and 3-nearest neighbours. */
  modelPredictors() {
    if (!this.model) throw new Error('no model is loaded');
    const wasm = this.model.wasm;
    return {
      predictors: { model: (x, y, q) => wasm.predict(x, y, q, 1).mean, knn: (x, y, q) => nearestNeighbours(x, y, q, 1, 3).mean },
      dispose: leases.hold(wasm),
    };
  }

  /**
   * The Bayes worker's predictors in a sweep over `family`: the posterior of the pretraining
   * prior, and one whose prior covers the family (same noise range: only the prior differs).
   */
  bayesPredictors(family, { mixture, noise }) {
    if (!this.reference) throw new Error('the Bayes posterior is unavailable');
    const pretraining = this.reference.wasm;
    const covering = new Reference(coveringPrior(family, mixture), noise[0], noise[1], 1);
    const release = leases.hold(pretraining);
    return {
      predictors: { bayes: (x, y, q) => pretraining.bayes(x, y, q).mean, covering: (x, y, q) => covering.bayes(x, y, q).mean },
      dispose() {
        release();
        covering.free();
      },
    };
  }

  async predict({ id, xs, ys, queries, want }) {
    const result = { type: 'result', id, model: null, bayes: null, covering: null, ls: null, looModel: null, looBayes: null, ms: {}, errors: {} };
    const x = Float64Array.from(xs);
    const y = Float64Array.from(ys);
    const q = Float64Array.from(queries);
    const run = (key, fn) => {
      const t0 = performance.now();
      try {
        result[key] = fn();
        result.ms[key] = performance.now() - t0;
      } catch (e) {
        result.errors[key] = e.message;
      }
    };
    const { model, reference, covering, backends } = this;
    if (want.model && model) {
      const t0 = performance.now();
      const wasm = model.wasm;
      const release = leases.hold(wasm);
      try {
        const { summary, switched } = await backends.predict([x, y, q, 1], () => wasm.predict(x, y, q, 1));
        result.model = summary;
        result.ms.model = performance.now() - t0;
        result.backend = backends.backend;
        if (switched) this.post({ type: 'backend', ...switched });
      } catch (e) {
        result.errors.model = e?.message ?? String(e);
      } finally {
        release();
      }
    }
    if (want.bayes && reference) run('bayes', () => reference.wasm.bayes(x, y, q));
    if (want.covering && covering) run('covering', () => covering.wasm.bayes(x, y, q));
    if (want.ls) run('ls', () => leastSquares(x, y, q, 1));
    if (want.loo && want.model && model) run('looModel', () => model.wasm.leaveOneOut(x, y, 1)); // synchronous: no lease needed
    if (want.loo && want.bayes && reference) run('looBayes', () => reference.wasm.leaveOneOut(x, y));
    const summaries = [result.model, result.bayes, result.covering, result.ls, result.looModel, result.looBayes];
    this.post(result, transferables(...summaries));
  }

  /** The client is gone (a closed demo of a shared worker): its models and references go too. */
  close() {
    this.loadToken += 1;
    this.releaseLoading?.();
    this.model?.release();
    this.model = null;
    this.backends.release();
    leases.retire(this.reference?.wasm);
    leases.retire(this.covering?.wasm);
    this.reference = null;
    this.covering = null;
  }

  async handle(data) {
    try {
      await wasmReady;
    } catch (e) {
      this.post({ type: 'error', id: data?.id, stage: 'init', message: `WebAssembly failed to start: ${e.message}` });
      return;
    }
    try {
      switch (data?.type) {
        case 'load':
          await this.load(data);
          break;
        case 'reference':
          this.setReference(data);
          break;
        case 'covering':
          this.setCovering(data);
          break;
        case 'predict':
          await this.predict(data);
          break;
        case 'backend':
          this.post({ type: 'backend', ...(await this.backends.choose(data.preference)) });
          break;
        case 'experiment': {
          await runSweep(data, {
            predictorsFor: data.which === 'model' ? () => this.modelPredictors() : (family) => this.bayesPredictors(family, data),
            sample: (family, seed, n, sigma) => sampleFunction(family, seed, n, sigma, new Float64Array(0)),
            post: (msg) => this.post(msg),
          });
          break;
        }
        case 'sample': {
          const sample = sampleFunction(data.family, data.seed >>> 0, data.k, data.sigma, Float64Array.from(data.curveXs));
          this.post({ type: 'sample', id: data.id, sample }, [sample.xs.buffer, sample.ys.buffer, sample.curve.buffer]);
          break;
        }
        case 'close':
          this.close();
          break;
        default:
          throw new Error(`unknown message type '${data?.type}'`);
      }
    } catch (e) {
      this.post({ type: 'error', id: data?.id, stage: data?.type, message: e?.message ?? String(e) });
    }
  }
}

function transferables(...summaries) {
  const out = [];
  for (const s of summaries) {
    if (!s) continue;
    for (const key of ['mean', 'quantiles', 'probs', 'borders', 'familyProbs']) if (s[key]) out.push(s[key].buffer);
  }
  return out;
}

if (typeof SharedWorkerGlobalScope === 'undefined' || !(self instanceof SharedWorkerGlobalScope)) {
  // A dedicated Worker: one client, the page that started it.
  const session = new Session((msg, transfer) => self.postMessage(msg, transfer ?? []));
  self.incontextBackends = session.backends; // for the browser tests (tests/browser/gpu.test.mjs)
  self.onmessage = ({ data }) => session.handle(data);
} else {
  // A SharedWorker: one session per connecting port (a demo, or a compare panel of one).
  self.incontextSessions = 0; // for the browser tests (tests/browser/article.test.mjs)
  self.onconnect = ({ ports: [port] }) => {
    const session = new Session((msg, transfer) => port.postMessage(msg, transfer ?? []));
    self.incontextSessions += 1;
    port.onmessage = ({ data }) => {
      if (data?.type === 'close') self.incontextSessions -= 1;
      session.handle(data);
    };
    port.start();
  };
}
