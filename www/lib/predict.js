// Predictions: which points form the context, the requests to the model and Bayes workers (and
// the compare panels) for the current view, and their results mapped back to display units into
// the page's view. Also knows when no prediction is outstanding ("idle"), for the page's busy
// flag and the browser tests.

import { contextIndices, contextStats, IDENTITY, toModelX, toModelY, fromModelY } from './csv.js';

export const QUERIES = 128; // query points per model curve (the bench also times 256)
export const QUERIES_BAYES = 96; // the Bayes posterior has thousands of components: fewer queries
const NO_MODEL_CONTEXT = 60; // context points taken without a model (Bayes + least squares)

/** How many context points the loaded model (`info`, or none) takes. */
export function maxContext(info) {
  return info ? info.architecture.max_points - 1 : NO_MODEL_CONTEXT;
}

/** The points that form the context (at most `maxContext(info)`, chosen by `state.use`). */
export function usedPoints(state, info) {
  return contextIndices(state.points, maxContext(info), state.use).map((i) => state.points[i]);
}

/** The context as used, as a key for leave-one-out results. */
export function contextKey(state, used) {
  return JSON.stringify([state.std, used]);
}

/** A summary mapped from model units back to display units (transform `t`), with its query inputs. */
export function toDisplay(summary, t, xs) {
  if (!summary) return null;
  const map = (a) => (a ? a.map((v) => fromModelY(t, v)) : null);
  return { ...summary, xs, mean: map(summary.mean), quantiles: map(summary.quantiles), borders: map(summary.borders) };
}

/** Each predictor's name in the error messages. */
const LABELS = {
  model: 'Model',
  bayes: 'Bayes posterior',
  covering: 'Bayes posterior that knows the true family',
  ls: 'Least squares',
  looModel: 'Model (leave-one-out)',
  looBayes: 'Bayes posterior (leave-one-out)',
};

export class Predictions {
  /**
   * @param {object} app  the page's runtime state: reads `state`, `info`, `reference`,
   *   `covering`, `truth`; writes `view` (the last results, display units) and `loo` (the
   *   leave-one-out summaries with their context's key)
   * @param {object} options
   * @param {{model: Channel, bayes: Channel}} options.channels  the two workers (lib/channel.js)
   * @param {{queryXs(n): number[]}} options.plot  the main plot: where to query
   * @param {CompareView} options.compare  the compare panels (lib/compare.js)
   * @param {boolean} options.loo  whether to ask for leave-one-out fits (the page shows them)
   * @param {HTMLElement} options.timing  where the time of a prediction is shown
   * @param {(key, text, kind?, action?) => void} options.message  the message bar
   * @param {{update(changes), render(), firstModelResult(), answered(), idle()}} options.hooks
   *   apply a view-state change (the fix a message offers); draw the view; after the first
   *   model curve; after every result drawn; when nothing is outstanding any more
   */
  constructor(app, { channels, plot, compare, loo, timing, message, hooks }) {
    this.app = app;
    this.channels = channels;
    this.plot = plot;
    this.compare = compare;
    this.loo = loo;
    this.timing = timing;
    this.message = message;
    this.hooks = hooks;
    this.nextId = 1;
    this.idleWaiters = [];
    this.firstPrediction = false;
  }

  /**
   * Asks both workers for predictions on the current points. `settled` (false while a point is
   * being dragged) adds leave-one-out fits when the true function is unknown: they cost one fit
   * per point, so they wait for the edit to end.
   */
  request(settled = true) {
    const { app } = this;
    const s = app.state;
    const used = usedPoints(s, app.info);
    const t = s.std ? contextStats(used) : IDENTITY;
    const xs = used.map((p) => toModelX(t, p[0]));
    const ys = used.map((p) => toModelY(t, p[1]));
    const loo = settled && !s.truth && used.length >= 3 && this.loo;
    const build = (count, want) => {
      const xsDisplay = this.plot.queryXs(count);
      const message = { xs, ys, queries: xsDisplay.map((x) => toModelX(t, x)), want };
      return { id: this.nextId++, t, xsDisplay, key: contextKey(s, used), points: used, message };
    };
    this.channels.model.request(build(QUERIES, { model: Boolean(app.info), bayes: false, ls: s.ls, loo }));
    const bayes = s.bayes && Boolean(app.reference);
    this.compare.request((count) => build(count, { model: true, bayes: false, ls: false, loo: false }));
    const covering = s.covering && Boolean(app.covering && app.truth);
    if (bayes || covering || (loo && app.reference)) {
      this.channels.bayes.request(build(QUERIES_BAYES, { model: false, bayes: bayes || (loo && Boolean(app.reference)), covering, ls: false, loo }));
    }
    document.body.dataset.busy = 'true';
  }

  /** A result (or a failed request, with `errors`) of `channel`: stored in the view and drawn. */
  onResult(channel, result) {
    const { app } = this;
    const request = channel.finish(result.id);
    if (!request) return;
    const fromBayes = channel === this.channels.bayes;
    const keys = fromBayes ? ['bayes', 'covering'] : ['model', 'ls'];
    app.view = app.view ?? {};
    for (const key of keys) {
      const error = result.errors[key];
      // Values beyond what the model takes: offer the standardisation the message asks for.
      const fix = error && /standardise/.test(error) && !app.state.std ? { label: 'Standardise the points', run: () => this.hooks.update({ std: true }) } : null;
      this.message(`predict-${key}`, error ? `${LABELS[key]}: ${error}` : '', 'error', fix);
      app.view[key] = request.message.want[key] ? toDisplay(result[key], request.t, request.xsDisplay) : null;
    }
    if (request.message.want.loo) {
      const [key, which] = fromBayes ? ['looBayes', 'bayes'] : ['looModel', 'model'];
      this.message(`predict-${key}`, result.errors[key] ? `${LABELS[key]}: ${result.errors[key]}` : '');
      const pointXs = request.points.map((p) => p[0]);
      const summary = toDisplay(result[key], request.t, pointXs);
      app.loo[which] = summary && { key: request.key, ys: request.points.map((p) => p[1]), summary };
    }
    if (!fromBayes) {
      if (result.model && !this.firstPrediction) {
        this.firstPrediction = true;
        performance.mark('incontext:first-prediction');
        this.hooks.firstModelResult();
      }
      app.view.id = request.id;
      app.view.modelPoints = request.message;
      if (result.ms.model !== undefined) {
        this.timing.textContent = `${result.ms.model.toFixed(1)} ms per prediction (${request.message.xs.length} points, ${QUERIES} queries)`;
      }
    } else if (!app.info && result.ms.bayes !== undefined) {
      this.timing.textContent = `Bayes posterior ${result.ms.bayes.toFixed(0)} ms (${request.message.xs.length} points, ${QUERIES_BAYES} queries)`;
    }
    this.hooks.render();
    this.notifyIdle();
    this.hooks.answered();
  }

  /** Whether no prediction is outstanding in any worker. */
  get idle() {
    return this.channels.model.idle && this.channels.bayes.idle && this.compare.settled;
  }

  /** A promise of the next moment with no prediction outstanding. */
  whenIdle() {
    return this.idle ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Called when a prediction ends anywhere: once all have, the page is no longer busy. */
  notifyIdle() {
    if (!this.idle) return;
    document.body.dataset.busy = 'false';
    this.hooks.idle();
    this.idleWaiters.splice(0).forEach((resolve) => resolve());
  }
}
