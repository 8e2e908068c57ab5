// The demo page's entry point: reads the page's configuration (lib/page.js, from
// <body data-features>), holds the runtime state, starts the two inference workers, routes
// their messages and wires the modules of lib/ together: the model (models.js), predictions
// (predict.js), drawing (render.js, fit-table.js), the sampled function and its controls
// (truth.js, ood-controls.js), the view-state controls (controls.js), the compare and
// Experiments views, data import, the URL hash and the service worker (sw-client.js). Plain ES
// module, no build step; embed.html runs the same code with fewer features.

import { parseHash, encodeHash, defaultState, roundPoints, LIMITS } from './lib/state.js';
import { pageConfig, hostNotifier } from './lib/page.js';
import { Messages } from './lib/messages.js';
import { Channel, startWorker } from './lib/channel.js';
import { Models, MANIFEST_URL, loadManifest } from './lib/models.js';
import { Predictions, toDisplay } from './lib/predict.js';
import { Renderer, fitDomain } from './lib/render.js';
import { FitTable } from './lib/fit-table.js';
import { Truth } from './lib/truth.js';
import { SamplingControls } from './lib/ood-controls.js';
import { ViewControls } from './lib/controls.js';
import { ServiceWorkerClient } from './lib/sw-client.js';
import { Plot } from './lib/plot.js';
import { Experiments } from './lib/experiments.js';
import { CompareView, fillComparePicker } from './lib/compare.js';
import { DataImport } from './lib/data-import.js';
import { VaryControl } from './lib/vary.js';

const PAGE = pageConfig(document.body.dataset);
const $ = (id) => document.getElementById(id);

/** The page's runtime state; each module is handed it and says which parts it reads and writes. */
const app = {
  state: defaultState(), // the view state (lib/state.js), mirrored into the URL hash
  manifest: null,
  info: null, // loaded model's info (from wasm)
  loadedId: '',
  families: [], // [{name, spec, weight}] of the pretraining mixture
  backend: '',
  reference: null, // the Bayes posterior of the pretraining prior
  referenceKnown: false,
  covering: null, // {truth, mixture, prior, sigma}: the Bayes posterior that knows the true family
  truth: null, // {key, xs, ys} noiseless curve of the sampled function, model units
  view: null, // last results (display units)
  loo: { model: null, bayes: null }, // leave-one-out summaries, display units, with their points' key
  fit: null, // the fit table's numbers, for the browser tests
  domain: { x0: -3, x1: 3, y0: -3, y1: 3 },
  dragging: false,
};

const messages = new Messages($('messages'));
const message = (key, text, kind, action) => messages.show(key, text, kind, action);

// --- modules ------------------------------------------------------------------------------------

const workerFailed = (name) => (text) => message(`worker-${name}`, text);
/** The inference workers: the page's own, or those every demo of the origin shares (embed.html). */
const worker = (kind) => startWorker(kind, PAGE.has('shared-workers'));
const channels = {
  model: new Channel('model', workerFailed('model'), worker('model')),
  bayes: new Channel('Bayes', workerFailed('Bayes'), worker('bayes')),
};

const experiments = PAGE.has('experiments')
  ? new Experiments($('experiments'), { model: (m) => channels.model.post(m), bayes: (m) => channels.bayes.post(m) }, () => ({
    info: app.info,
    families: app.families,
    reference: app.reference,
  }))
  : null;

const plot = new Plot($('plot'), {
  onEdit: (points, final) => onPointsEdited(points, final, plot),
  onCursor(text) {
    $('cursor-status').textContent = text;
  },
});

/** Small multiples of zoo models on the same points (shown when the view names some). */
const compare = new CompareView($('compare'), MANIFEST_URL, {
  onEdit: onPointsEdited,
  onReady: () => predictions.request(),
  onSettled: () => predictions.notifyIdle(),
  toDisplay: (summary, request) => toDisplay(summary, request.t, request.xsDisplay),
  worker: () => worker('model'),
});

const models = new Models(app, {
  $,
  page: PAGE,
  channels,
  message,
  hooks: {
    picked(id) {
      update({ model: id });
      models.load();
    },
    loaded() {
      truth.postCovering();
      sampling?.fill();
      vary?.sync();
      truth.refresh();
      predictions.request();
    },
    failed: () => predictions.request(),
    backendChanged: () => predictions.request(),
    referenceChanged() {
      sampling?.fill();
      vary?.sync();
      truth.refresh();
      truth.postCovering();
      predictions.request();
      experiments?.modelChanged();
    },
  },
});

const truth = new Truth(app, {
  channels,
  message,
  hooks: {
    use: update,
    drawn: () => renderer.render(),
    dropped: writeHash,
    coveringChanged: () => predictions.request(),
  },
});

const serviceWorker = new ServiceWorkerClient(message, document.querySelector('header.top'));

const predictions = new Predictions(app, {
  channels,
  plot,
  compare,
  loo: PAGE.has('fit-table'),
  timing: $('status-ms'),
  message,
  hooks: {
    update,
    render: () => renderer.render(),
    firstModelResult: () => serviceWorker.register(),
    answered: PAGE.has('host-ready') ? hostNotifier(window) : () => {},
    idle: () => renderer.announce(),
  },
});

const renderer = new Renderer(app, { $, plot, compare, fitTable: PAGE.has('fit-table') ? new FitTable($, message) : null, message });

const controls = new ViewControls(PAGE, $);

const sampling = PAGE.has('sampling') ? new SamplingControls(app, { $, sample: (family, seed, k) => truth.sample(family, seed, k), remember }) : null;

const vary = PAGE.has('vary') ? new VaryControl(app, { $, sample: (family, seed, k, sigma) => truth.sample(family, seed, k, sigma) }) : null;

const dataImport = PAGE.has('data-import')
  ? new DataImport({
    $,
    message,
    maxPoints: LIMITS.maxPoints,
    usePoints: (changes) => {
      app.truth = null;
      update({ ...changes, truth: null });
    },
  })
  : null;

// --- worker messages ----------------------------------------------------------------------------

/** Hands the Experiments view its workers' messages; true when `data` was one. */
function forExperiments(data, which) {
  if (!experiments || !(data.type?.startsWith('experiment') || data.stage === 'experiment')) return false;
  experiments.onMessage(data, which);
  return true;
}

channels.model.worker.onmessage = ({ data }) => {
  if (forExperiments(data, 'model')) return;
  switch (data.type) {
    case 'loading':
      models.onLoading(data);
      break;
    case 'ready':
      models.onReady(data);
      break;
    case 'backend':
      models.onBackend(data);
      break;
    case 'result':
      predictions.onResult(channels.model, data);
      break;
    case 'sample':
      channels.model.answer(data.id, data.sample);
      break;
    case 'error':
      onModelError(data);
      break;
    default:
      break;
  }
};

channels.bayes.worker.onmessage = ({ data }) => {
  if (forExperiments(data, 'bayes')) return;
  if (data.type === 'reference') models.onReference(data);
  else if (data.type === 'covering') truth.onCovering(data);
  else if (data.type === 'result') predictions.onResult(channels.bayes, data);
  else if (data.type === 'error' && data.stage === 'predict') {
    predictions.onResult(channels.bayes, { id: data.id, bayes: null, covering: null, ms: {}, errors: { bayes: data.message } });
  } else if (data.type === 'error') message('worker-bayes', `Bayes posterior: ${data.message}`);
};

function onModelError({ id, stage, message: text }) {
  if (stage === 'sample' && channels.model.fail(id, text)) return;
  if (stage === 'load') {
    models.onLoadError(id, text); // false for a superseded load: the page has moved on
    return;
  }
  if (stage === 'predict') {
    // A failed request still ends: the channel must not wait for a result that never comes.
    predictions.onResult(channels.model, { id, model: null, bayes: null, ls: null, ms: {}, errors: { model: text } });
    return;
  }
  message(`worker-${stage}`, text);
}

// --- state changes ------------------------------------------------------------------------------

/** A point edit in the main plot or a compare panel (`source`): every other view follows. */
function onPointsEdited(points, final, source) {
  app.dragging = !final;
  app.state.points = roundPoints(points); // rounded as links round them
  if (source !== plot) plot.setPoints(app.state.points);
  compare.setPoints(app.state.points, source);
  if (final) {
    syncControls();
    writeHash();
  }
  predictions.request(final);
}

/** Applies a state change; a change of points or of standardisation refits the plot's domain. */
function update(changes) {
  Object.assign(app.state, changes);
  app.state.points = roundPoints(app.state.points);
  if ('points' in changes || 'std' in changes) app.domain = fitDomain(app.state.points, app.state.std);
  if ('truth' in changes) truth.postCovering();
  if ('compare' in changes) showCompare();
  syncControls();
  plot.setPoints(app.state.points);
  compare.setPoints(app.state.points);
  writeHash();
  renderer.render();
  predictions.request();
}

/** A field whose change only goes into the link (the next draw reads it). */
function remember(field, value) {
  app.state[field] = value;
  writeHash();
}

function syncControls() {
  controls.sync(app.state, app.info);
  sampling?.sync();
  vary?.sync();
  plot.setReadOnly(app.state.readonly);
  compare.setReadOnly(app.state.readonly);
  document.body.dataset.readonly = String(app.state.readonly);
}

/**
 * A link that names a true function but no points (an article's prepared demo) reveals `k` of
 * its points, drawn with the link's seed and noise.
 */
function revealLinkedTruth() {
  const t = app.state.truth;
  if (t && app.state.points.length === 0) truth.sample(t.family, t.seed, app.state.k, t.sigma);
}

function writeHash() {
  const hash = encodeHash(app.state);
  if (location.hash.slice(1) !== hash) history.replaceState(null, '', hash ? `#${hash}` : location.pathname + location.search);
  if (PAGE.has('open-full')) {
    // The full page is for trying things: its points are editable.
    const full = encodeHash({ ...app.state, readonly: false });
    $('open-full').href = `index.html${full ? `#${full}` : ''}`;
  }
}

/** Reads the view from the URL hash; returns whether it names another model. */
function applyHash() {
  const { state, warnings } = parseHash(location.hash, (app.manifest?.models ?? []).map((m) => m.id));
  message('hash', warnings.length ? `The link had problems: ${warnings.join(' ')}` : '', 'warning');
  if (state.truth?.family !== app.state.truth?.family || state.truth?.seed !== app.state.truth?.seed) app.truth = null;
  const modelChanged = state.model !== app.state.model;
  app.state = state;
  truth.postCovering();
  app.domain = fitDomain(state.points, state.std);
  syncControls();
  plot.setPoints(state.points);
  renderer.render();
  return modelChanged;
}

/** Shows the models of `state.compare` side by side (none: the view is hidden). */
function showCompare() {
  const entries = app.state.compare.map((id) => app.manifest?.models.find((m) => m.id === id)).filter(Boolean);
  compare.setModels(entries);
  compare.setPoints(app.state.points);
  document.body.dataset.compare = String(entries.length > 0);
}

function fillCompareControls() {
  if (!PAGE.has('compare-picker')) return;
  fillComparePicker($('compare-models'), app.manifest.models, app.state.compare, {
    max: LIMITS.maxCompare,
    message,
    choose: (ids) => update({ compare: ids }),
  });
}

function bindControls() {
  controls.bind({
    changed: { show: update, context: update },
    clear() {
      app.truth = null;
      update({ points: [], truth: null, std: false, xdate: false, xLabel: '', yLabel: '', source: '' });
    },
    link() {
      writeHash();
      return location.href;
    },
  });
  models.bind();
  sampling?.bind();
  vary?.bind();
  dataImport?.bind();
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
    return compare.results();
  },
  /** Draws `k` points of a function from `family` with `seed`, as "Sample a function" does. */
  sample(family, seed, k) {
    return truth.sample(family, seed, k);
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
    return predictions.whenIdle();
  },
  /** True once the manifest is read, the model (if any) loaded or failed, and predictions drawn. */
  get settled() {
    const entry = models.entry();
    const modelDone = !entry || app.loadedId === entry.id || messages.has('model');
    return Boolean(app.manifest) && modelDone && app.referenceKnown && predictions.idle && Boolean(app.view);
  },
  /** Viewport coordinates of the display point (x, y) on the plot. */
  toScreen(x, y) {
    const r = plot.svg.getBoundingClientRect();
    return [r.left + plot.sx(x), r.top + plot.sy(y)];
  },
};

async function main() {
  bindControls();
  app.manifest = await loadManifest(message);
  applyHash();
  models.fillPicker();
  fillCompareControls();
  showCompare();
  models.load();
  writeHash();
  revealLinkedTruth();
  window.addEventListener('hashchange', () => {
    if (location.hash.slice(1) === encodeHash(app.state)) return;
    const modelChanged = applyHash();
    models.fillPicker();
    fillCompareControls();
    showCompare();
    if (modelChanged) models.load();
    truth.refresh();
    revealLinkedTruth();
    predictions.request();
  });
  // Without a first prediction (a failed model download, say), offline use is still set up.
  serviceWorker.registerLater();
}

main();
