// The compare view: one context, several pretraining mixtures side by side. Small multiples
// (one panel per zoo model, same axes, same points) each with its own inference worker (or its
// own session of the shared one, lib/channel.js), its
// model's predictive bands, the true function when there is one, its family belief and its
// error against the truth. Editing points in any panel edits them in all (the page owns the
// points; panels only report edits). Also the checkboxes that choose the compared models.

import { Plot } from './plot.js';
import { Channel } from './channel.js';
import { renderBeliefs } from './beliefs.js';
import { fitToTruth, num, pct } from './fit.js';

/** Query points per panel curve (panels are narrower than the main plot). */
const QUERIES = 96;

class Panel {
  constructor(view, entry) {
    this.view = view;
    this.entry = entry;
    this.info = null;
    this.summary = null;
    this.error = '';
    this.root = document.createElement('figure');
    this.root.className = 'compare-panel';
    this.root.dataset.model = entry.id;
    const caption = document.createElement('figcaption');
    this.title = document.createElement('strong');
    this.title.textContent = entry.label ?? entry.id;
    this.status = document.createElement('span');
    this.status.className = 'compare-status';
    this.status.textContent = 'loading…';
    caption.append(this.title, ' ', this.status);
    const plotBox = document.createElement('div');
    plotBox.className = 'plot compare-plot';
    this.beliefs = document.createElement('div');
    this.beliefs.className = 'beliefs compact';
    this.fit = document.createElement('p');
    this.fit.className = 'compare-fit';
    this.root.append(caption, plotBox, this.beliefs, this.fit);
    view.grid.append(this.root);
    this.plot = new Plot(plotBox, {
      onEdit: (points, final) => view.hooks.onEdit(points, final, this.plot),
      onCursor: () => {},
    });
    this.plot.setReadOnly(view.readOnly);
    this.channel = new Channel(`${entry.id} model`, (text) => this.#fail(text), view.hooks.worker());
    this.channel.worker.onmessage = ({ data }) => this.#onMessage(data);
    this.channel.post({ type: 'load', id: entry.id, url: new URL(entry.file, view.manifestUrl).href, bytes: entry.bytes, sha256: entry.sha256 });
  }

  #fail(text) {
    this.error = text;
    this.status.textContent = text;
    this.root.dataset.failed = 'true';
    this.view.hooks.onSettled();
  }

  #onMessage(data) {
    if (data.type === 'ready') {
      this.info = data.model.info;
      this.status.textContent = `${this.info.architecture.encoding} encoding, ${this.info.trainingSteps} steps`;
      this.view.hooks.onReady();
    } else if (data.type === 'result') {
      const request = this.channel.finish(data.id);
      if (!request) return;
      this.error = data.errors.model ?? '';
      this.summary = this.error ? null : this.view.hooks.toDisplay(data.model, request);
      this.render();
      if (this.channel.idle) this.view.hooks.onSettled();
    } else if (data.type === 'error' && data.stage === 'predict') {
      this.channel.finish(data.id);
      this.error = data.message;
      this.render();
      this.view.hooks.onSettled();
    } else if (data.type === 'error') {
      this.#fail(`Could not load ${this.entry.id}: ${data.message}`);
    }
  }

  get settled() {
    return Boolean(this.error) || (Boolean(this.info) && this.channel.idle);
  }

  request(build) {
    if (!this.info) return;
    this.channel.request(build(QUERIES, this.plot));
  }

  render() {
    const { domain, labels, truth, show, used } = this.view.context;
    this.plot.render({ domain, labels, model: this.summary, truth, used, show: { bands: show.bands, heat: false } });
    const names = this.info?.families.map((f) => f.name) ?? [];
    const probs = this.summary?.familyProbs?.length === names.length ? this.summary.familyProbs : null;
    renderBeliefs(this.beliefs, names, [{ cls: 'model', probs, who: `${this.entry.id} model` }]);
    const fit = truth && this.summary ? fitToTruth(this.summary, truth) : null;
    this.fitNumbers = fit;
    this.fit.textContent = this.error
      ? this.error
      : fit
        ? `error vs true curve ${num(fit.rmse)} · true curve inside 90% band ${pct(fit.coverage)}`
        : '';
  }

  setPoints(points) {
    this.plot.setPoints(points);
  }

  dispose() {
    this.channel.terminate();
    this.plot.resizeObserver.disconnect();
    this.root.remove();
  }
}

export class CompareView {
  /**
   * @param {HTMLElement} grid  the container of the panels
   * @param {URL | string} manifestUrl  model files are resolved against it
   * @param {{onEdit(points, final, plot), onReady(), onSettled(), toDisplay(summary, request), worker()}} hooks
   *   `worker()` starts a panel's model worker (lib/channel.js startWorker)
   */
  constructor(grid, manifestUrl, hooks) {
    this.grid = grid;
    this.manifestUrl = manifestUrl;
    this.hooks = hooks;
    this.panels = [];
    this.readOnly = false;
    this.context = { points: [], domain: null, labels: null, truth: null, show: {} };
  }

  /** Whether the panels' points can be edited (not in an article's read-only demo). */
  setReadOnly(readOnly) {
    this.readOnly = readOnly;
    this.panels.forEach((p) => p.plot.setReadOnly(readOnly));
  }

  /** Shows one panel per manifest entry, in the given order (an empty list hides the view). */
  setModels(entries) {
    const keep = new Map(this.panels.map((p) => [p.entry.id, p]));
    this.panels = entries.map((e) => {
      const panel = keep.get(e.id) ?? new Panel(this, e);
      keep.delete(e.id);
      this.grid.append(panel.root);
      return panel;
    });
    keep.forEach((p) => p.dispose());
    this.grid.hidden = this.panels.length === 0;
    this.grid.style.setProperty('--panels', String(Math.max(1, this.panels.length)));
  }

  /** Redraws every panel for the shared view `{points, domain, labels, truth, show}` (display units). */
  update(context) {
    this.context = context;
    this.panels.forEach((p) => p.render());
  }

  /** Moves the points of every panel but `except` (the one being edited, which moved its own). */
  setPoints(points, except = null) {
    this.context = { ...this.context, points };
    this.panels.forEach((p) => p.plot !== except && p.setPoints(points));
  }

  /** Requests every panel's prediction; `build(count, plot)` makes a channel request. */
  request(build) {
    this.panels.forEach((p) => p.request(build));
  }

  get settled() {
    return this.panels.every((p) => p.settled);
  }

  /** Per panel: `{id, summary, fit, error}` (for the browser tests). */
  results() {
    return this.panels.map((p) => ({ id: p.entry.id, fit: p.fitNumbers ?? null, error: p.error, familyProbs: p.summary?.familyProbs ? Array.from(p.summary.familyProbs) : null }));
  }
}

/**
 * The compare view's model checkboxes in `box`, one per manifest model (`models`), those of
 * `chosen` ticked. A change calls `choose(ids)`; ticking more than `max` is refused with a
 * message (`message(key, text, kind)`, lib/messages.js).
 */
export function fillComparePicker(box, models, chosen, { max, message, choose }) {
  box.replaceChildren();
  for (const m of models) {
    const label = document.createElement('label');
    const input = document.createElement('input');
    input.type = 'checkbox';
    input.value = m.id;
    input.checked = chosen.includes(m.id);
    input.addEventListener('change', () => {
      const ids = [...box.querySelectorAll('input:checked')].map((i) => i.value);
      if (ids.length > max) {
        input.checked = false;
        message('compare', `The comparison shows at most ${max} models.`, 'warning');
        return;
      }
      message('compare', '');
      choose(ids);
    });
    label.append(input, ` ${m.label ?? m.id}`);
    box.append(label);
  }
}
