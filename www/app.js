// The demo page: state (mirrored into the URL hash), the inference worker, the plot and the
// controls. Plain ES module, no build step. `embed.html` runs the same code with a smaller UI.

import { parseHash, encodeHash, defaultState, roundPoints, LIMITS } from './lib/state.js';
import { formatDate, contextIndices, CONTEXT_CHOICES, contextStats, IDENTITY, toModelX, toModelY, fromModelY } from './lib/csv.js';
import { Plot } from './lib/plot.js';
import { Experiments } from './lib/experiments.js';
import { fitToTruth, leaveOneOutFit, confidentlyWrong, num, pct } from './lib/fit.js';
import { Channel } from './lib/channel.js';
import { renderBeliefs } from './lib/beliefs.js';
import { CompareView } from './lib/compare.js';
import { sinusoidBands, inPretraining, omegaInside } from './lib/families.js';
import { DataImport } from './lib/data-import.js';

const EMBED = document.body.dataset.embed === 'true';
const QUERIES = 128; // query points per model curve (the bench also times 256)
const QUERIES_BAYES = 96; // the Bayes posterior has thousands of components: fewer queries
const NO_MODEL_CONTEXT = 60; // context points taken without a model (Bayes + least squares)
const X_PRIOR_BOUND = 3; // pretraining x ~ N(0, 1): |x| > 3 has probability 0.27%
const MANIFEST_URL = new URL('./models/manifest.json', import.meta.url).href;
/** Inputs at which a sampled function's true curve is evaluated (model units). */
const TRUTH_XS = Array.from({ length: 1201 }, (_, i) => -12 + i * 0.02);

const $ = (id) => document.getElementById(id);

/** Milliseconds after start-up at which the service worker is registered at the latest. */
const SW_FALLBACK_MS = 15000;

const app = {
  state: defaultState(),
  swRegistered: false,
  manifest: null,
  info: null, // loaded model's info (from wasm)
  loadedId: '',
  reference: null, // {mixture, noise}
  covering: null, // {truth, mixture, prior, sigma}: the Bayes posterior that knows the true family
  loo: { model: null, bayes: null }, // leave-one-out summaries, display units, with their points' key
  families: [], // [{name, spec, weight}] of the pretraining mixture
  backend: '',
  view: null, // last rendered view (display units)
  truth: null, // {key, xs, ys} noiseless curve of the sampled function, model units
  domain: { x0: -3, x1: 3, y0: -3, y1: 3 },
  nextId: 1,
  idleWaiters: [],
  oodSeed: randomSeed(),
  messages: new Map(),
};

function randomSeed() {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

// --- messages ---------------------------------------------------------------------------------

/**
 * Shows (or with text '' clears) a message under the plot; `kind`: error | warning | note;
 * `action` ({label, run}) adds a button that fixes what the message is about.
 */
function message(key, text, kind = 'error', action = null) {
  const old = app.messages.get(key);
  if (text ? old?.text === text && old?.kind === kind : !old) return; // unchanged: no re-announcement
  if (text) app.messages.set(key, { text, kind, action });
  else app.messages.delete(key);
  const box = $('messages');
  box.replaceChildren();
  for (const [k, m] of app.messages) {
    const p = document.createElement('p');
    p.className = `msg ${m.kind}`;
    p.dataset.key = k;
    p.textContent = m.text;
    if (m.action) {
      const fix = document.createElement('button');
      fix.type = 'button';
      fix.className = 'fix';
      fix.textContent = m.action.label;
      fix.addEventListener('click', () => {
        message(k, '');
        m.action.run();
      });
      p.append(' ', fix);
    }
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'dismiss';
    close.setAttribute('aria-label', 'Dismiss message');
    close.textContent = '×';
    close.addEventListener('click', () => message(k, ''));
    p.append(' ', close);
    box.append(p);
  }
}

// --- workers ----------------------------------------------------------------------------------

const workerFailed = (name) => (text) => message(`worker-${name}`, text);
const modelChannel = new Channel('model', workerFailed('model'));
const bayesChannel = new Channel('Bayes', workerFailed('Bayes'));
const samples = new Map(); // id → {resolve, reject}

/** The Experiments view (index.html only); its worker messages are routed to it. */
const experiments = EMBED || !$('experiments')
  ? null
  : new Experiments($('experiments'), { model: (m) => modelChannel.post(m), bayes: (m) => bayesChannel.post(m) }, () => ({
    info: app.info,
    families: app.families,
    reference: app.reference,
  }));
const forExperiments = (data, which) => {
  if (!experiments || !(data.type?.startsWith('experiment') || data.stage === 'experiment')) return false;
  experiments.onMessage(data, which);
  return true;
};

modelChannel.worker.onmessage = ({ data }) => {
  if (forExperiments(data, 'model')) return;
  switch (data.type) {
    case 'loading':
      if (data.id === currentModelEntry()?.id) showProgress(data.loaded, data.total);
      break;
    case 'ready':
      onModelReady(data);
      break;
    case 'backend':
      onBackend(data);
      break;
    case 'result':
      onResult(modelChannel, data);
      break;
    case 'sample':
      samples.get(data.id)?.resolve(data.sample);
      samples.delete(data.id);
      break;
    case 'error':
      onWorkerError(data);
      break;
    default:
      break;
  }
};

bayesChannel.worker.onmessage = ({ data }) => {
  if (forExperiments(data, 'bayes')) return;
  if (data.type === 'reference') onReference(data);
  else if (data.type === 'covering') onCovering(data);
  else if (data.type === 'result') onResult(bayesChannel, data);
  else if (data.type === 'error' && data.stage === 'predict') {
    onResult(bayesChannel, { id: data.id, bayes: null, covering: null, ms: {}, errors: { bayes: data.message } });
  } else if (data.type === 'error') message('worker-bayes', `Bayes posterior: ${data.message}`);
};

function onWorkerError({ id, stage, message: text }) {
  if (stage === 'sample' && samples.has(id)) {
    samples.get(id).reject(new Error(text));
    samples.delete(id);
    return;
  }
  if (stage === 'load') {
    if (id !== currentModelEntry()?.id) return; // a superseded load: the page has moved on
    hideProgress();
    message('model', `Could not load the model: ${text}. Showing the Bayes posterior and least squares only.`);
    $('status-model').textContent = 'no model loaded';
    app.info = null;
    app.loadedId = '';
    requestPrediction();
    return;
  }
  if (stage === 'predict') {
    // A failed request still ends: the channel must not wait for a result that never comes.
    onResult(modelChannel, { id, model: null, bayes: null, ls: null, ms: {}, errors: { model: text } });
    return;
  }
  message(`worker-${stage}`, text);
}

function sampleInWorker(family, seed, k, sigma, curveXs) {
  const id = app.nextId++;
  return new Promise((resolve, reject) => {
    samples.set(id, { resolve, reject });
    modelChannel.post({ type: 'sample', id, family, seed, k, sigma, curveXs });
  });
}

// --- manifest and models ------------------------------------------------------------------------

function currentModelEntry() {
  const models = app.manifest?.models ?? [];
  return models.find((m) => m.id === app.state.model) ?? models.find((m) => m.id === app.manifest?.default) ?? models[0] ?? null;
}

function formatBytes(n) {
  if (!Number.isFinite(n)) return '?';
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${Math.round(n / 1e3)} kB`;
}

function showProgress(loaded, total) {
  const bar = $('progress');
  bar.hidden = false;
  bar.max = total || loaded || 1;
  bar.value = loaded;
  $('status-model').textContent = `downloading ${formatBytes(loaded)} of ${formatBytes(total)}`;
}

function hideProgress() {
  $('progress').hidden = true;
}

async function loadManifest() {
  try {
    const response = await fetch(MANIFEST_URL);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const manifest = await response.json();
    if (!manifest || !Array.isArray(manifest.models)) throw new Error('it has no "models" list');
    return manifest;
  } catch (e) {
    message('manifest', `Could not read the model list (${e.message}); showing the Bayes posterior and least squares only.`);
    return { models: [], reference: null };
  }
}

function fillModelPicker() {
  const picker = $('model');
  picker.replaceChildren();
  for (const m of app.manifest.models) {
    const option = document.createElement('option');
    option.value = m.id;
    option.textContent = `${m.label ?? m.id} (${formatBytes(m.bytes)})`;
    picker.append(option);
  }
  if (!app.manifest.models.length) {
    const option = document.createElement('option');
    option.textContent = 'no trained model yet';
    picker.append(option);
  }
  picker.disabled = app.manifest.models.length === 0;
  const entry = currentModelEntry();
  if (entry) picker.value = entry.id;
}

function loadSelectedModel() {
  const entry = currentModelEntry();
  if (!entry) {
    const ref = app.manifest.reference ?? { mixture: 'linear(bias):0.5,sinusoid(omega_lo=0.5,omega_hi=2.5):0.5', noise: [0.01, 0.2] };
    bayesChannel.post({ type: 'reference', mixture: ref.mixture, noise: ref.noise });
    $('status-model').textContent = 'no trained model: Bayes posterior and least squares';
    return;
  }
  if (entry.id === app.loadedId) return;
  message('model', '');
  app.info = null;
  app.loadedId = '';
  // Bayes and least squares answer while the model downloads.
  if (entry.mixture && entry.noise) bayesChannel.post({ type: 'reference', mixture: entry.mixture, noise: entry.noise });
  showProgress(0, entry.bytes);
  modelChannel.post({ type: 'load', id: entry.id, url: new URL(entry.file, MANIFEST_URL).href, bytes: entry.bytes, sha256: entry.sha256 });
}

function onModelReady({ backend, backendStatus, model }) {
  app.backend = backend;
  $('status-backend').textContent = backend;
  showBackend(backendStatus);
  hideProgress();
  app.info = model.info;
  app.loadedId = model.id;
  app.families = model.info.families;
  const { encoding, nLayer, nEmbd, nHead, trainingSteps } = model.info;
  $('status-model').textContent =
    `${model.id}: ${nLayer} layers × ${nEmbd} wide, ${nHead} heads, ${encoding} encoding, ${trainingSteps} steps; ` +
    `loaded in ${Math.round(model.loadMs)} ms${model.fromCache ? ' from the offline cache' : ''}`;
  $('status-cache').hidden = !model.fromCache;
  // The Bayes posterior of the model's own mixture (the manifest's copy may be stale).
  bayesChannel.post({ type: 'reference', mixture: model.info.mixture, noise: model.info.noise });
  postCovering();
  fillFamilyControls();
  refreshTruth();
  requestPrediction();
}

/** The model worker's backend (`status()` of lib/backend.js): indicator, its tooltip, the choice. */
function showBackend(status) {
  if (!status) return;
  app.backend = status.backend;
  const indicator = $('status-backend');
  const adapter = status.adapter && (status.adapter.name || (status.adapter.software ? 'software' : status.adapter.deviceType));
  indicator.textContent = adapter ? `${status.backend} (${adapter})` : status.backend;
  indicator.title = status.note;
  indicator.dataset.backend = status.backend;
  if ($('backend-choice')) $('backend-choice').value = status.preference; // not on embed.html
}

/** A backend change: after the reader's choice, WebGPU coming up, or a fallback to wasm. */
function onBackend(status) {
  showBackend(status);
  const refused = status.preference === 'webgpu' && status.backend !== 'webgpu';
  const fellBack = status.note.includes('switched to wasm');
  message('backend', refused || fellBack ? `Backend: ${status.note}.` : '', 'warning');
  requestPrediction();
}

function onReference({ backend, reference, error }) {
  if (!app.backend) $('status-backend').textContent = backend;
  app.reference = reference;
  app.referenceKnown = true;
  message('reference', error ?? '', 'warning');
  if (!app.info && reference) app.families = reference.families;
  fillFamilyControls();
  refreshTruth();
  postCovering();
  requestPrediction();
  experiments?.modelChanged();
}

/** Sets (or clears) the Bayes worker's reference that knows the true family of the shown function. */
function postCovering() {
  const truth = app.state.truth;
  const mixture = app.info?.mixture ?? app.reference?.mixture;
  if (!truth || !mixture) {
    if (app.covering) bayesChannel.post({ type: 'covering', truth: null });
    app.covering = null;
    return;
  }
  const c = app.covering;
  if (c?.truth === truth.family && c?.sigma === truth.sigma && c?.mixture === mixture) return;
  bayesChannel.post({ type: 'covering', truth: truth.family, mixture, sigma: truth.sigma });
}

function onCovering({ covering, error }) {
  app.covering = covering;
  message('covering', error ?? '', 'warning');
  requestPrediction();
}

function maxContext() {
  return app.info ? app.info.maxPoints - 1 : NO_MODEL_CONTEXT;
}

// --- predictions --------------------------------------------------------------------------------

/** The points that form the context (at most `maxContext()`, chosen by `state.use`). */
function usedPoints() {
  return contextIndices(app.state.points, maxContext(), app.state.use).map((i) => app.state.points[i]);
}

function transform() {
  return app.state.std ? contextStats(usedPoints()) : IDENTITY;
}

/** The context as used (the first `maxContext()` points), as a key for leave-one-out results. */
function contextKey() {
  return JSON.stringify([app.state.std, usedPoints()]);
}

/**
 * Asks both workers for predictions on the current points. `settled` (false while a point is
 * being dragged) adds leave-one-out fits when the true function is unknown: they cost one fit
 * per point, so they wait for the edit to end.
 */
function requestPrediction(settled = true) {
  const s = app.state;
  const t = transform();
  const used = usedPoints();
  const xs = used.map((p) => toModelX(t, p[0]));
  const ys = used.map((p) => toModelY(t, p[1]));
  const loo = settled && !s.truth && used.length >= 3 && Boolean(FIT_TABLE);
  const build = (count, want) => {
    const xsDisplay = plot.queryXs(count);
    const message = { xs, ys, queries: xsDisplay.map((x) => toModelX(t, x)), want };
    return { id: app.nextId++, t, xsDisplay, key: contextKey(), points: used, message };
  };
  modelChannel.request(build(QUERIES, { model: Boolean(app.info), bayes: false, ls: s.ls, loo }));
  const bayes = s.bayes && Boolean(app.reference);
  compare?.request((count) => build(count, { model: true, bayes: false, ls: false, loo: false }));
  const covering = s.covering && Boolean(app.covering && app.truth);
  if (bayes || covering || (loo && app.reference)) {
    bayesChannel.request(build(QUERIES_BAYES, { model: false, bayes: bayes || (loo && Boolean(app.reference)), covering, ls: false, loo }));
  }
  document.body.dataset.busy = 'true';
}

/** A summary mapped from model units back to display units, with its query inputs. */
function toDisplay(summary, t, xs) {
  if (!summary) return null;
  const map = (a) => (a ? a.map((v) => fromModelY(t, v)) : null);
  return { ...summary, xs, mean: map(summary.mean), quantiles: map(summary.quantiles), borders: map(summary.borders) };
}

const LABELS = {
  model: 'Model',
  bayes: 'Bayes posterior',
  covering: 'Bayes posterior that knows the true family',
  ls: 'Least squares',
  looModel: 'Model (leave-one-out)',
  looBayes: 'Bayes posterior (leave-one-out)',
};

function onResult(channel, result) {
  const request = channel.finish(result.id);
  if (!request) return;
  const keys = channel === bayesChannel ? ['bayes', 'covering'] : ['model', 'ls'];
  app.view = app.view ?? {};
  for (const key of keys) {
    const error = result.errors[key];
    // Values beyond what the model takes: offer the standardisation the message asks for.
    const fix = error && /standardise/.test(error) && !app.state.std ? { label: 'Standardise the points', run: () => update({ std: true }) } : null;
    message(`predict-${key}`, error ? `${LABELS[key]}: ${error}` : '', 'error', fix);
    app.view[key] = request.message.want[key] ? toDisplay(result[key], request.t, request.xsDisplay) : null;
  }
  if (request.message.want.loo) {
    const [key, which] = channel === bayesChannel ? ['looBayes', 'bayes'] : ['looModel', 'model'];
    message(`predict-${key}`, result.errors[key] ? `${LABELS[key]}: ${result.errors[key]}` : '');
    const pointXs = request.points.map((p) => p[0]);
    const summary = toDisplay(result[key], request.t, pointXs);
    app.loo[which] = summary && { key: request.key, ys: request.points.map((p) => p[1]), summary };
  }
  if (channel === modelChannel) {
    if (result.model && !app.firstPrediction) {
      app.firstPrediction = true;
      performance.mark('incontext:first-prediction');
      registerServiceWorker();
    }
    app.view.id = request.id;
    app.view.modelPoints = request.message;
    if (result.ms.model !== undefined) {
      $('status-ms').textContent = `${result.ms.model.toFixed(1)} ms per prediction (${request.message.xs.length} points, ${QUERIES} queries)`;
    }
  } else if (!app.info && result.ms.bayes !== undefined) {
    $('status-ms').textContent = `Bayes posterior ${result.ms.bayes.toFixed(0)} ms (${request.message.xs.length} points, ${QUERIES_BAYES} queries)`;
  }
  render();
  notifyIdle();
  // Tells an <incontext-demo> element around the embed that the demo runs.
  if (EMBED && !app.readyPosted && window.parent !== window) {
    app.readyPosted = true;
    window.parent.postMessage({ type: 'incontext-ready' }, '*');
  }
}

/** Whether no prediction is outstanding in any worker. */
function allIdle() {
  return modelChannel.idle && bayesChannel.idle && (compare?.settled ?? true);
}

function notifyIdle() {
  if (!allIdle()) return;
  document.body.dataset.busy = 'false';
  announce();
  app.idleWaiters.splice(0).forEach((resolve) => resolve());
}

/**
 * Tells screen readers the settled result, briefly and only when it changed: the model's
 * belief over families in steps of 5% (never while a point is being dragged).
 */
function announce() {
  const v = app.view;
  const names = app.info?.families.map((f) => f.name);
  const probs = v?.model?.familyProbs;
  if (!names || probs?.length !== names.length || app.dragging) return;
  const ranked = names.map((name, j) => [name, Math.round(20 * probs[j]) * 5]).sort((a, b) => b[1] - a[1]);
  const text = `Model belief: ${ranked.map(([name, p]) => `${name} ${p}%`).join(', ')}.`;
  if ($('announce').textContent !== text) $('announce').textContent = text;
}

// --- rendering ----------------------------------------------------------------------------------

function fitDomain() {
  const pts = app.state.points;
  if (!app.state.std || pts.length === 0) {
    const ys = pts.map((p) => Math.abs(p[1]));
    const ymax = Math.max(3, ...ys.map((v) => v * 1.1));
    const xs = pts.map((p) => Math.abs(p[0]));
    const xmax = Math.max(3, ...xs.map((v) => v * 1.05));
    app.domain = { x0: -xmax, x1: xmax, y0: -ymax, y1: ymax };
    return;
  }
  const range = (j, pad) => {
    const v = pts.map((p) => p[j]);
    let lo = Math.min(...v);
    let hi = Math.max(...v);
    const span = hi - lo || Math.abs(hi) || 1;
    return [lo - pad * span, hi + pad * span];
  };
  const [x0, x1] = range(0, 0.08);
  const [y0, y1] = range(1, 0.3);
  app.domain = { x0, x1, y0, y1 };
}

function render() {
  const s = app.state;
  const v = app.view ?? {};
  let truth = null;
  if (app.truth && !s.std) truth = { xs: app.truth.xs, ys: app.truth.ys };
  const used = new Set(contextIndices(s.points, maxContext(), s.use));
  plot.render({
    used,
    domain: app.domain,
    labels: { x: s.xLabel || 'x', y: s.yLabel || 'y', xFormat: s.xdate ? formatDate : null },
    model: v.model,
    bayes: v.bayes,
    covering: truth ? v.covering : null,
    ls: v.ls,
    truth,
    show: { bands: s.bands, heat: s.heat, ls: s.ls, bayes: s.bayes, covering: s.covering },
  });
  showBeliefs(v);
  renderFit(v, truth);
  compare?.update({ used, points: s.points, domain: app.domain, labels: { x: s.xLabel || 'x', y: s.yLabel || 'y', xFormat: s.xdate ? formatDate : null }, truth, show: { bands: s.bands } });
  renderWarnings();
  $('source').textContent = s.source ? `Data: ${s.source}` : '';
  $('legend-ls').hidden = !s.ls;
  $('legend-truth').hidden = !truth;
  $('legend-model').hidden = !app.info;
  $('legend-bayes').hidden = !s.bayes || !app.reference;
  const legendCovering = $('legend-covering');
  if (legendCovering) {
    legendCovering.hidden = !(s.covering && truth && v.covering);
    $('legend-covering-prior').textContent = app.covering ? `prior ${app.covering.prior}, σ = ${app.covering.sigma.toFixed(3)}` : '';
  }
}

// --- fit: against the true function, or leave-one-out ---------------------------------------------

const FIT_TABLE = $('fit');
const FIT_ROWS = [
  ['model', 'model'],
  ['bayes', 'Bayes, pretraining prior'],
  ['covering', 'Bayes, had pretraining covered this function'],
  ['ls', 'least squares'],
];

/** The last fit numbers, for the browser tests: `{mode, rows: {model: {rmse, coverage, n}, …}}`. */
app.fit = null;

/**
 * Under the plot: with a known true function, each predictor's error against it and the share
 * of the curve inside its 90% band; with data, leave-one-out error and the share of points
 * inside the band predicted from the other points. Says plainly when the model is
 * confidently wrong.
 */
function renderFit(v, truth) {
  if (!FIT_TABLE) return;
  const rows = {};
  let mode = null;
  if (truth) {
    mode = 'truth';
    for (const [key] of FIT_ROWS) {
      const shown = key === 'model' ? v[key] : app.state[key] && v[key];
      const fit = shown ? fitToTruth(v[key], truth) : null;
      if (fit) rows[key] = fit;
    }
  } else {
    const key = contextKey();
    for (const which of ['model', 'bayes']) {
      const loo = app.loo[which];
      if (loo?.key === key) rows[which] = leaveOneOutFit(loo.summary, loo.ys);
    }
    if (Object.keys(rows).length) mode = 'loo';
  }
  app.fit = mode && { mode, truth: app.state.truth?.family ?? null, rows };
  FIT_TABLE.hidden = !mode;
  if (!mode) {
    message('fit', '');
    return;
  }
  const { x0, x1 } = app.domain;
  $('fit-caption').textContent = mode === 'truth'
    ? `Against the true function over the plot's range x ∈ [${num(x0)}, ${num(x1)}]`
    : `Leave-one-out: each of the ${usedPoints().length} context points predicted from the others (the true function is unknown)`;
  $('fit-error-head').textContent = mode === 'truth' ? 'error vs true curve (RMSE)' : 'error (RMSE)';
  $('fit-coverage-head').textContent = mode === 'truth' ? 'true curve inside 90% band' : 'points inside their 90% band';
  const body = $('fit-rows');
  body.replaceChildren();
  for (const [key, name] of FIT_ROWS) {
    const fit = rows[key];
    if (!fit) continue;
    const tr = document.createElement('tr');
    tr.dataset.predictor = key;
    for (const text of [name, num(fit.rmse), pct(fit.coverage)]) {
      const cell = document.createElement(tr.children.length ? 'td' : 'th');
      if (!tr.children.length) cell.scope = 'row';
      cell.textContent = text;
      tr.append(cell);
    }
    body.append(tr);
  }
  const model = rows.model;
  const covering = rows.covering;
  const ratio = model && covering ? model.rmse / covering.rmse : 0;
  const better = ratio > 3
    ? `A Bayesian whose prior covers this function errs ${num(ratio)}× less (RMSE ${num(covering.rmse)} against ${num(model.rmse)}): ` +
      'the points held the information; the model\'s pretraining ruled it out.'
    : '';
  let note = '';
  let kind = 'warning';
  if (model && mode === 'truth' && model.coverage !== null && model.coverage < 0.5) {
    note = `The model is confidently wrong here: its 90% band holds only ${pct(model.coverage)} of the true curve. ${better}`.trim();
  } else if (model && mode === 'truth' && better) {
    note = better;
    kind = 'note';
  } else if (model && mode === 'loo' && confidentlyWrong(model.coverage, model.n)) {
    note = `The model is confidently wrong here: only ${model.inside} of ${model.n} points lie inside the 90% band ` +
      'predicted from the other points. These points look unlike anything in its pretraining.';
  }
  message('fit', note, kind);
}

function showBeliefs(v) {
  const names = app.info?.families.map((f) => f.name) ?? v.bayes?.families ?? app.families.map((f) => f.name);
  if (!names?.length) {
    $('beliefs').replaceChildren();
    return;
  }
  // A result computed for another model (one still in flight while the picker changed) has
  // another number of families: it is not drawn.
  const fits = (probs) => (probs?.length === names.length ? probs : null);
  renderBeliefs($('beliefs'), names, [
    { cls: 'model', probs: fits(v.model?.familyProbs), who: 'model' },
    { cls: 'bayes', probs: app.state.bayes && app.reference ? fits(v.bayes?.familyProbs) : null, who: 'Bayes posterior' },
  ]);
}

function renderWarnings() {
  const s = app.state;
  const notes = [];
  const n = s.points.length;
  if (n > maxContext()) {
    notes.push(
      `${app.info ? 'This model' : 'The page'} takes at most ${maxContext()} context points: ${maxContext()} of ${n} are used ` +
        `(${CONTEXT_CHOICES[s.use]}; choose under the plot), the others are drawn hollow.`,
    );
  }
  const v = app.view;
  if (v?.modelPoints && n) {
    const { xs, ys } = v.modelPoints;
    const xOut = xs.filter((x) => Math.abs(x) > X_PRIOR_BOUND).length;
    if (xOut) {
      notes.push(`${xOut} point${xOut > 1 ? 's lie' : ' lies'} outside x ∈ [−${X_PRIOR_BOUND}, ${X_PRIOR_BOUND}]${s.std ? ' after standardising' : ''}: pretraining inputs are x ~ N(0, 1), so the model has rarely seen such inputs.`);
    }
    const b = app.info?.borders;
    if (b) {
      const lo = b[0];
      const hi = b[b.length - 1];
      const yOut = ys.filter((y) => y < lo || y > hi).length;
      if (yOut) notes.push(`${yOut} point${yOut > 1 ? 's have' : ' has'} y outside [${lo.toFixed(2)}, ${hi.toFixed(2)}], the range of y seen in pretraining.`);
    }
  }
  message('range', notes.join(' '), 'warning');
}

// --- state changes ------------------------------------------------------------------------------

function writeHash() {
  const hash = encodeHash(app.state);
  if (location.hash.slice(1) !== hash) history.replaceState(null, '', hash ? `#${hash}` : location.pathname + location.search);
  const full = $('open-full');
  if (full) full.href = `index.html${hash ? `#${hash}` : ''}`;
}

/** Applies a state change; a change of points or of standardisation refits the plot's domain. */
function update(changes) {
  Object.assign(app.state, changes);
  app.state.points = canonical(app.state.points);
  if ('points' in changes || 'std' in changes) fitDomain();
  if ('truth' in changes) postCovering();
  if ('compare' in changes) showCompare();
  syncControls();
  plot.setPoints(app.state.points);
  compare?.setPoints(app.state.points);
  writeHash();
  render();
  requestPrediction();
}

/**
 * The page's controls of view-state fields (lib/state.js FIELDS): field → element id. Flags are
 * checkboxes; the others take the field's value (a select keeps its choice when the state names
 * no option of it, e.g. '' = the mixture's default family).
 */
const CONTROLS = Object.freeze({
  bands: 'show-bands',
  heat: 'show-heat',
  ls: 'show-ls',
  bayes: 'show-bayes',
  covering: 'show-covering',
  std: 'show-std',
  use: 'use',
  family: 'family',
  k: 'k',
  alpha: 'alpha',
  convexA: 'convex-a',
  convexB: 'convex-b',
  omega: 'omega',
});

function syncControls() {
  const s = app.state;
  for (const [field, id] of Object.entries(CONTROLS)) {
    const control = $(id);
    if (!control) continue;
    if (control.type === 'checkbox') control.checked = s[field];
    else if (control.tagName !== 'SELECT' || [...control.options].some((o) => o.value === String(s[field]))) control.value = String(s[field]);
  }
  if ($('k-value')) $('k-value').textContent = $('k').value;
  if ($('alpha')) labelOod();
  $('point-count').textContent = `${s.points.length} point${s.points.length === 1 ? '' : 's'}`;
  const useRow = $('use-row');
  if (useRow) {
    useRow.hidden = s.points.length <= maxContext();
    $('use').value = s.use;
  }
}

// --- sample a function and out-of-distribution controls ----------------------------------------

function noiseSigma() {
  const noise = app.info?.noise ?? app.reference?.noise ?? [0, 0];
  return (noise[0] + noise[1]) / 2;
}

async function sampleTruth(family, seed, k) {
  const sigma = noiseSigma();
  try {
    const sample = await sampleInWorker(family, seed, k, sigma, TRUTH_XS);
    message('sample', '');
    app.truth = { key: `${family}@${seed}`, xs: TRUTH_XS, ys: Array.from(sample.curve) };
    const points = Array.from(sample.xs, (x, i) => [x, sample.ys[i]]);
    update({ points, std: false, xdate: false, xLabel: '', yLabel: '', source: '', truth: { family, seed, sigma } });
  } catch (e) {
    message('sample', `Could not sample '${family}': ${e.message}`);
  }
}

/** Redraws the true curve of `state.truth` (e.g. after loading a shared link). */
async function refreshTruth() {
  const truth = app.state.truth;
  if (!truth) {
    app.truth = null;
    return;
  }
  const key = `${truth.family}@${truth.seed}`;
  if (app.truth?.key === key) return;
  try {
    const sample = await sampleInWorker(truth.family, truth.seed, 0, truth.sigma, TRUTH_XS);
    app.truth = { key, xs: TRUTH_XS, ys: Array.from(sample.curve) };
    render();
  } catch (e) {
    message('sample', `The link's sampled function could not be drawn: ${e.message}`);
    app.state.truth = null;
    writeHash();
  }
}

function fillFamilyControls() {
  if (EMBED) return;
  const select = $('family');
  const previous = select.value;
  select.replaceChildren();
  for (const f of app.families) {
    const option = document.createElement('option');
    option.value = f.spec;
    option.textContent = `${f.spec} (${(100 * f.weight).toFixed(0)}%)`;
    select.append(option);
  }
  const wanted = app.state.family || previous;
  if (app.families.some((f) => f.spec === wanted)) select.value = wanted;
  // Convex combinations: of two pretraining families where there are two, else with a line.
  const specs = app.families.map((f) => f.spec);
  const extra = ['linear(bias)', 'sinusoid(omega_lo=0.5,omega_hi=2.5)', 'relu_net(hidden=100,bias)', 'decision_tree(depth=3,gaussian_thresholds)'];
  const choices = [...specs, ...extra.filter((e) => !specs.includes(e))];
  for (const [id, index, field] of [['convex-a', 0, 'convexA'], ['convex-b', 1, 'convexB']]) {
    const sel = $(id);
    const prev = app.state[field] || sel.value;
    sel.replaceChildren();
    for (const spec of choices) {
      const option = document.createElement('option');
      option.value = spec;
      option.textContent = specs.includes(spec) ? spec : `${spec} (not in pretraining)`;
      sel.append(option);
    }
    sel.value = choices.includes(prev) ? prev : choices[Math.min(index, choices.length - 1)];
  }
  $('k').max = String(maxContext());
  if (Number($('k').value) > maxContext()) $('k').value = String(maxContext());
  $('k-value').textContent = $('k').value;
  $('sigma-value').textContent = noiseSigma().toFixed(3);
  labelOod();
}

function labelOod() {
  const alpha = Number($('alpha').value);
  const a = $('convex-a').value;
  const b = $('convex-b').value;
  const alphaInside = (alpha === 1 && inPretraining(app.families, a)) || (alpha === 0 && inPretraining(app.families, b));
  $('alpha-value').textContent = alpha.toFixed(2);
  setInside($('alpha-label'), alphaInside);
  const omega = Number($('omega').value);
  const bands = sinusoidBands(app.families);
  $('omega-value').textContent = omega.toFixed(2);
  setInside($('omega-label'), omegaInside(app.families, omega));
  $('omega-band').textContent = bands.length
    ? `trained band: ${bands.map(([lo, hi]) => `[${lo}, ${hi}]`).join(', ')}`
    : 'this mixture has no sinusoids';
}

function setInside(node, inside) {
  node.textContent = inside ? 'inside pretraining' : 'outside pretraining';
  node.className = `ood-tag ${inside ? 'inside' : 'outside'}`;
}

function convexSpec() {
  const alpha = Number($('alpha').value);
  return `convex(alpha=${alpha},${$('convex-a').value},${$('convex-b').value})`;
}

function omegaSpec() {
  const omega = Number($('omega').value);
  return `sinusoid(omega_lo=${omega},omega_hi=${omega})`;
}

// --- wiring -------------------------------------------------------------------------------------

/** Points as stored: rounded as links round them, so a shared link reproduces the view exactly. */
const canonical = (points) => roundPoints(points);

/** A point edit in the main plot or a compare panel (`source`): every other view follows. */
function onPointsEdited(points, final, source) {
  app.dragging = !final;
  Object.assign(app.state, { points: canonical(points) });
  if (source !== plot) plot.setPoints(app.state.points);
  compare?.setPoints(app.state.points, source);
  if (final) {
    syncControls();
    writeHash();
  }
  requestPrediction(final);
}

/** The compare view (small multiples of zoo models), where the page has a place for it. */
const compare = $('compare')
  ? new CompareView($('compare'), MANIFEST_URL, {
    onEdit: onPointsEdited,
    onReady: () => requestPrediction(),
    onSettled: notifyIdle,
    toDisplay: (summary, request) => toDisplay(summary, request.t, request.xsDisplay),
  })
  : null;

/** The "Your data" controls (index.html only). */
const dataImport = EMBED
  ? null
  : new DataImport({
    $,
    message,
    maxPoints: LIMITS.maxPoints,
    usePoints: (changes) => {
      app.truth = null;
      update({ ...changes, truth: null });
    },
  });

/** Shows the models of `state.compare` side by side (none: the view is hidden). */
function showCompare() {
  if (!compare) return;
  const entries = app.state.compare.map((id) => app.manifest?.models.find((m) => m.id === id)).filter(Boolean);
  compare.setModels(entries);
  compare.setPoints(app.state.points);
  document.body.dataset.compare = String(entries.length > 0);
}

/** The compare view's model checkboxes, one per manifest model. */
function fillCompareControls() {
  const box = $('compare-models');
  if (!box) return;
  box.replaceChildren();
  for (const m of app.manifest.models) {
    const label = document.createElement('label');
    const input = document.createElement('input');
    input.type = 'checkbox';
    input.value = m.id;
    input.checked = app.state.compare.includes(m.id);
    input.addEventListener('change', () => {
      const ids = [...box.querySelectorAll('input:checked')].map((i) => i.value);
      if (ids.length > LIMITS.maxCompare) {
        input.checked = false;
        message('compare', `The comparison shows at most ${LIMITS.maxCompare} models.`, 'warning');
        return;
      }
      message('compare', '');
      update({ compare: ids });
    });
    label.append(input, ` ${m.label ?? m.id}`);
    box.append(label);
  }
}

const plot = new Plot($('plot'), {
  onEdit: (points, final) => onPointsEdited(points, final, plot),
  onCursor(text) {
    $('cursor-status').textContent = text;
  },
});

function bindControls() {
  for (const field of ['bands', 'heat', 'ls', 'bayes', 'covering', 'std']) {
    $(CONTROLS[field])?.addEventListener('change', (e) => update({ [field]: e.target.checked }));
  }
  $(CONTROLS.use)?.addEventListener('change', (e) => update({ use: e.target.value }));
  $('backend-choice')?.addEventListener('change', (e) => modelChannel.post({ type: 'backend', preference: e.target.value }));
  $('model').addEventListener('change', (e) => {
    update({ model: e.target.value });
    loadSelectedModel();
  });
  $('clear').addEventListener('click', () => {
    app.truth = null;
    update({ points: [], truth: null, std: false, xdate: false, xLabel: '', yLabel: '', source: '' });
  });
  $('copy-link')?.addEventListener('click', async () => {
    writeHash();
    try {
      await navigator.clipboard.writeText(location.href);
      $('copy-status').textContent = 'link copied';
    } catch {
      $('copy-status').textContent = 'copy the address bar';
    }
  });
  if (EMBED) return;
  // Fields whose change only goes into the link (the next draw reads them).
  const remember = (field, value) => {
    app.state[field] = value;
    writeHash();
  };
  $('k').addEventListener('input', () => {
    $('k-value').textContent = $('k').value;
    remember('k', Number($('k').value));
  });
  $('family').addEventListener('change', () => remember('family', $('family').value));
  $('sample').addEventListener('click', () => sampleTruth($('family').value, randomSeed(), Number($('k').value)));
  for (const [id, field, read] of [['alpha', 'alpha', Number], ['convex-a', 'convexA', String], ['convex-b', 'convexB', String]]) {
    $(id).addEventListener('input', () => {
      remember(field, read($(id).value));
      labelOod();
      sampleTruth(convexSpec(), app.oodSeed, Number($('k').value));
    });
  }
  $('convex-new').addEventListener('click', () => {
    app.oodSeed = randomSeed();
    sampleTruth(convexSpec(), app.oodSeed, Number($('k').value));
  });
  $('omega').addEventListener('input', () => {
    remember('omega', Number($('omega').value));
    labelOod();
    sampleTruth(omegaSpec(), app.oodSeed, Number($('k').value));
  });
  $('omega-new').addEventListener('click', () => {
    app.oodSeed = randomSeed();
    sampleTruth(omegaSpec(), app.oodSeed, Number($('k').value));
  });
  dataImport?.bind();
}

function applyHash() {
  const { state, warnings } = parseHash(location.hash, (app.manifest?.models ?? []).map((m) => m.id));
  message('hash', warnings.length ? `The link had problems: ${warnings.join(' ')}` : '', 'warning');
  if (state.truth?.family !== app.state.truth?.family || state.truth?.seed !== app.state.truth?.seed) app.truth = null;
  const modelChanged = state.model !== app.state.model;
  app.state = state;
  postCovering();
  fitDomain();
  syncControls();
  plot.setPoints(state.points);
  render();
  return modelChanged;
}

/** Test and debugging hook: the state, the last view, and a promise for the next idle moment. */
window.incontext = {
  get state() {
    return structuredClone(app.state);
  },
  get view() {
    return app.view;
  },
  get info() {
    return app.info;
  },
  /** The compare view's panels: `[{id, fit, error, familyProbs}]` ([] when it is hidden). */
  get compare() {
    return compare?.results() ?? [];
  },
  /** Draws `k` points of a function from `family` with `seed`, as "Sample a function" does. */
  sample(family, seed, k) {
    return sampleTruth(family, seed, k);
  },
  /** The fit table's numbers: `{mode: 'truth' | 'loo', truth, rows: {model, bayes, covering, ls}}`. */
  get fit() {
    return app.fit && structuredClone(app.fit);
  },
  /** The model's (or else Bayes's) predicted mean at display x, from the last result. */
  meanAt(x, which = 'model') {
    const s = app.view?.[which];
    if (!s) return null;
    let best = 0;
    s.xs.forEach((q, i) => {
      if (Math.abs(q - x) < Math.abs(s.xs[best] - x)) best = i;
    });
    return s.mean[best];
  },
  idle() {
    return allIdle() ? Promise.resolve() : new Promise((resolve) => app.idleWaiters.push(resolve));
  },
  /** True once the manifest is read, the model (if any) loaded or failed, and predictions drawn. */
  get settled() {
    const modelDone = !currentModelEntry() || app.loadedId === currentModelEntry().id || app.messages.has('model');
    return Boolean(app.manifest) && modelDone && app.referenceKnown && allIdle() && Boolean(app.view);
  },
  /** Viewport coordinates of the display point (x, y) on the plot. */
  toScreen(x, y) {
    const r = plot.svg.getBoundingClientRect();
    return [r.left + plot.sx(x), r.top + plot.sy(y)];
  },
};

async function main() {
  bindControls();
  app.manifest = await loadManifest();
  applyHash();
  fitDomain();
  fillModelPicker();
  fillCompareControls();
  showCompare();
  loadSelectedModel();
  writeHash();
  window.addEventListener('hashchange', () => {
    if (location.hash.slice(1) === encodeHash(app.state)) return;
    const modelChanged = applyHash();
    fillModelPicker();
    fillCompareControls();
    showCompare();
    if (modelChanged) loadSelectedModel();
    refreshTruth();
    requestPrediction();
  });
  // Without a first prediction (a failed model download, say), offline use is still set up.
  setTimeout(registerServiceWorker, SW_FALLBACK_MS);
}

/**
 * Registers the service worker once. It precaches every model of the manifest, so it waits
 * for the first prediction: those downloads must not compete with the default model's.
 */
function registerServiceWorker() {
  if (app.swRegistered || !('serviceWorker' in navigator) || new URLSearchParams(location.search).has('nosw')) return;
  app.swRegistered = true;
  navigator.serviceWorker
    .register(new URL('./sw.js', import.meta.url))
    .then((registration) => {
      if (!registration) return; // service workers blocked (a browser setting or a test harness)
      // A new version waits until the reader reloads: the open page never mixes two versions.
      const offer = () => registration.waiting && navigator.serviceWorker.controller && offerUpdate(registration.waiting);
      offer();
      registration.addEventListener('updatefound', () => {
        registration.installing?.addEventListener('statechange', offer);
      });
    })
    .catch((e) => message('sw', `Offline use is unavailable: ${e.message}`, 'note'));
}

/** Shows "a new version is ready" with a button that activates it and reloads the page. */
function offerUpdate(waiting) {
  if ($('update')) return;
  const bar = document.createElement('p');
  bar.id = 'update';
  bar.className = 'msg note update';
  bar.append('A new version of this page is ready. ');
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = 'Reload to use it';
  button.addEventListener('click', () => {
    navigator.serviceWorker.addEventListener('controllerchange', () => location.reload(), { once: true });
    waiting.postMessage('skip-waiting');
  });
  bar.append(button);
  document.querySelector('header.top')?.append(bar);
}

main();
