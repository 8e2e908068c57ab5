// The Experiments view: live sweeps of E6 (convex combinations over α) and E7 (sinusoid
// frequency over ω) on the loaded model, and the committed figures of `incontext reproduce`
// (results/index.json, written from docs/results/ by docs/publish-results.mjs during
// `./build.sh wasm`).
//
// A sweep draws the same seeded prompts for every predictor (lib/experiment-run.js): the model
// worker runs the transformer and 3-nearest neighbours, the Bayes worker the exact posterior of
// the pretraining prior and the one whose prior covers each swept family. The chart plots NSE
// after `context` points against α or ω, with 90% intervals, the trained ω band shaded; its
// heading is written from the numbers.

import { sinusoidBands, omegaInside, convexFamily, sinusoidAt, convexInside } from './families.js';
import { ticks } from './plot.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const SEED = 0x5eed; // prompt i is sampleFunction(family, SEED + i, …): the same in both workers
const QUERIES = 20; // held-out points per prompt
const ALPHAS = Array.from({ length: 11 }, (_, i) => i / 10);
const OMEGAS = Array.from({ length: 16 }, (_, i) => (i + 1) / 2);
const WIDTH = 640;
const HEIGHT = 300;
const PAD = { left: 48, right: 12, top: 22, bottom: 36 };
const Y_CAP = 1.6; // NSE above this is drawn at the top edge

/** Series of a sweep, in drawing order: [name, label, worker]. */
export const SERIES = [
  ['model', 'model', 'model'],
  ['bayes', 'Bayes, pretraining prior', 'bayes'],
  ['covering', 'Bayes, prior covering the family', 'bayes'],
  ['knn', '3-nearest neighbours', 'model'],
];

function el(tag, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  parent?.append(node);
  return node;
}

/**
 * The sweep of experiment `kind` ('convex' | 'omega') for a mixture's families: `{values,
 * families}` (the family text of every swept value), or null when the mixture has no two
 * families to combine.
 */
export function sweepFamilies(kind, families) {
  if (kind === 'convex') {
    if (families.length < 2) return null;
    return { values: ALPHAS, families: ALPHAS.map((a) => convexFamily(a, families[0].spec, families[1].spec)) };
  }
  return { values: OMEGAS, families: OMEGAS.map(sinusoidAt) };
}

/**
 * One sentence saying what a finished sweep shows, from its numbers: the model against the
 * Bayes posterior that knows the family, inside and outside pretraining.
 */
export function describeSweep(run) {
  const { model, bayes, covering } = run.series;
  if (!model || !covering) return '';
  const fmt = (v) => v.toFixed(2);
  const mean = (s, idx) => idx.reduce((a, i) => a + s.nse[i], 0) / Math.max(1, idx.length);
  const inside = run.values.map((_, i) => i).filter((i) => run.inside[i]);
  const outside = run.values.map((_, i) => i).filter((i) => !run.inside[i]);
  const separated = outside.filter((i) => covering.hi[i] < model.lo[i]).length;
  const where = run.kind === 'convex' ? 'Between the two families (0 < α < 1)' : 'Outside the trained band';
  const parts = [];
  if (outside.length) {
    const pretraining = bayes ? `, the Bayes posterior of the pretraining prior ${fmt(mean(bayes, outside))}` : '';
    parts.push(
      `${where} the model's NSE averages ${fmt(mean(model, outside))}${pretraining}, and a Bayesian whose prior covers ` +
        `the family ${fmt(mean(covering, outside))} (90% intervals of the model and the latter separate at ${separated} of ${outside.length} values)`,
    );
  }
  if (inside.length) parts.push(`inside pretraining the model averages ${fmt(mean(model, inside))} against ${fmt(mean(covering, inside))}`);
  return `${parts.join('; ')}.`;
}

/** SVG path `d` through (xs[i], ys[i]). */
function pathD(xs, ys) {
  return xs.map((x, i) => `${i ? 'L' : 'M'}${x.toFixed(1)},${ys[i].toFixed(1)}`).join('');
}

export class Experiments {
  /**
   * @param root the <details> element of the view
   * @param post {model(msg), bayes(msg)}: send a message to each worker
   * @param context () => {info, families, reference}: the loaded model's info (or null), its
   *   pretraining families and the Bayes reference ({mixture, noise} or null)
   */
  constructor(root, post, context) {
    this.root = root;
    this.post = post;
    this.context = context;
    this.run = null; // {id, kind, values, families, inside, context, prompts, progress, series, errors, ms}
    this.nextId = 1;
    this.$ = (id) => root.querySelector(`#${id}`);
    this.figuresLoaded = false;
    root.experiments = this; // the view's state, for the browser tests
    root.addEventListener('toggle', () => {
      if (!root.open) return;
      this.loadFigures();
      if (!this.run) this.start();
    });
    for (const id of ['exp-kind-convex', 'exp-kind-omega', 'exp-context', 'exp-prompts']) {
      this.$(id).addEventListener('change', () => this.start());
    }
    this.$('exp-rerun').addEventListener('click', () => this.start());
  }

  /** Called when a model (or the reference) changes: reruns if the view is open. */
  modelChanged() {
    if (this.root.open) this.start();
  }

  /** The chosen experiment, falling back to E7 for a mixture with one family. */
  kind(families) {
    const convex = this.$('exp-kind-convex');
    if (families.length < 2 && convex.checked) this.$('exp-kind-omega').checked = true;
    convex.disabled = families.length < 2;
    return this.$('exp-kind-convex').checked ? 'convex' : 'omega';
  }

  /** Starts a sweep (a running one is superseded). */
  start() {
    const { info, families, reference } = this.context();
    if (!info) {
      this.status('Load a model to run the experiments.');
      return;
    }
    const kind = this.kind(families);
    const sweep = sweepFamilies(kind, families);
    const context = Math.min(Number(this.$('exp-context').value), info.architecture.max_points - 1);
    const prompts = Number(this.$('exp-prompts').value);
    const noise = reference?.noise ?? info.noise;
    const inside = kind === 'convex'
      ? sweep.values.map((a) => convexInside(families, a, families[0].spec, families[1].spec))
      : sweep.values.map((w) => omegaInside(families, w));
    const id = `exp-${this.nextId++}`;
    const wantBayes = Boolean(reference);
    this.run = { id, model: info.preset || 'loaded model', kind, ...sweep, inside, context, prompts, progress: { model: 0, bayes: wantBayes ? 0 : 1 }, series: {}, errors: {}, ms: {}, wantBayes };
    const msg = { type: 'experiment', id, families: sweep.families, seed: SEED, prompts, context, queries: QUERIES, noise, mixture: info.mixture };
    this.post.model({ ...msg, which: 'model' });
    if (wantBayes) this.post.bayes({ ...msg, which: 'bayes' });
    this.root.dataset.status = 'running';
    this.showProgress();
    this.draw();
  }

  /** A worker message of type experiment-progress / experiment-result, or an error of stage experiment. */
  onMessage(data, which) {
    const run = this.run;
    if (!run || data.id !== run.id) return;
    if (data.type === 'experiment-progress') run.progress[which] = (0.99 * data.done) / data.total;
    else if (data.type === 'experiment-result' && !data.error) {
      Object.assign(run.series, data.series);
      run.ms[which] = data.ms;
    } else run.errors[which] = data.error ?? data.message;
    if (data.type !== 'experiment-progress') run.progress[which] = 1;
    this.showProgress();
    this.draw();
    if (run.progress.model === 1 && run.progress.bayes === 1) this.root.dataset.status = 'done';
  }

  showProgress() {
    const run = this.run;
    const fraction = (run.progress.model + run.progress.bayes) / 2;
    this.$('exp-progress').value = fraction;
    const what = `${run.kind === 'convex' ? 'E6, α' : 'E7, ω'} from ${run.values[0]} to ${run.values.at(-1)}: ${run.prompts} prompts per value, ${run.context} context points`;
    const errors = Object.entries(run.errors).map(([w, e]) => `${w}: ${e}`).join('; ');
    const seconds = Math.max(0, ...Object.values(run.ms)) / 1000;
    this.status(fraction < 1 ? `${what}, ${Math.round(fraction * 100)}%` : `${what}: done in ${seconds.toFixed(1)} s${errors ? `; ${errors}` : ''}`);
  }

  status(text) {
    this.$('exp-status').textContent = text;
  }

  /** NSE after `context` points against α or ω for every finished series, with 90% intervals. */
  draw() {
    const run = this.run;
    const box = this.$('exp-chart');
    box.replaceChildren();
    const svg = el('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', class: 'exp-svg' }, box);
    const axisName = run.kind === 'convex' ? 'α' : 'ω (rad per unit x)';
    const title = `NSE after ${run.context} context points against ${run.kind === 'convex' ? 'α' : 'ω'}`;
    svg.setAttribute('aria-label', title);
    const series = SERIES.filter(([name]) => run.series[name]);
    const top = Math.min(Y_CAP, 1.1 * Math.max(0.1, ...series.flatMap(([name]) => run.series[name].hi)));
    const [v0, v1] = [run.values[0], run.values.at(-1)];
    const sx = (v) => PAD.left + ((v - v0) / (v1 - v0)) * (WIDTH - PAD.left - PAD.right);
    const sy = (v) => PAD.top + (1 - Math.min(v, top) / top) * (HEIGHT - PAD.top - PAD.bottom);
    if (run.kind === 'omega') {
      for (const [lo, hi] of sinusoidBands(this.context().families)) {
        const [a, b] = [Math.max(lo, v0), Math.min(hi, v1)];
        if (b > a) el('rect', { x: sx(a), y: PAD.top, width: sx(b) - sx(a), height: sy(0) - PAD.top, class: 'exp-trained' }, svg);
      }
    }
    const axes = el('g', { class: 'exp-axes' }, svg);
    el('line', { x1: PAD.left, y1: sy(0), x2: WIDTH - PAD.right, y2: sy(0) }, axes);
    el('line', { x1: PAD.left, y1: sy(0), x2: PAD.left, y2: PAD.top }, axes);
    if (top >= 1) el('line', { x1: PAD.left, y1: sy(1), x2: WIDTH - PAD.right, y2: sy(1), class: 'exp-ref' }, axes);
    const step = run.kind === 'convex' ? 0.2 : 1;
    for (let v = v0; v <= v1 + 1e-9; v += step) {
      const t = el('text', { x: sx(v), y: HEIGHT - PAD.bottom + 16, 'text-anchor': 'middle' }, axes);
      t.textContent = String(Number(v.toFixed(1)));
    }
    for (const v of ticks(0, top, 5)) {
      const t = el('text', { x: PAD.left - 6, y: sy(v) + 4, 'text-anchor': 'end' }, axes);
      t.textContent = String(Number(v.toPrecision(3)));
    }
    const xl = el('text', { x: (WIDTH + PAD.left) / 2, y: HEIGHT - 4, 'text-anchor': 'middle' }, axes);
    xl.textContent = axisName;
    const yl = el('text', { x: PAD.left + 6, y: 12, 'text-anchor': 'start' }, axes);
    yl.textContent = `NSE after ${run.context} points`;
    for (const [name] of series) {
      const r = run.series[name];
      const xs = run.values.map(sx);
      const band = pathD([...xs, ...xs.slice().reverse()], [...r.hi.map(sy), ...r.lo.map(sy).reverse()]) + 'Z';
      el('path', { d: band, class: `nse-band nse-${name}` }, svg);
      el('path', { d: pathD(xs, r.nse.map(sy)), class: `nse-line nse-${name}`, 'data-points': r.nse.length }, svg);
    }
    const done = run.progress.model === 1 && run.progress.bayes === 1;
    this.$('exp-heading').textContent = done ? describeSweep(run) : '';
    this.$('exp-caption').textContent =
      `${title}, model ${run.model}; ${run.prompts} seeded prompts per value, ${QUERIES} held-out points each, mean and 90% interval; ` +
      `1 = predicting 0.${run.kind === 'omega' ? ' Shaded: the trained band.' : ' α = 0 and α = 1 are the pretraining families themselves.'}`;
  }

  /** Lists the committed figures (results/index.json); missing results say how to make them. */
  async loadFigures() {
    if (this.figuresLoaded) return;
    this.figuresLoaded = true;
    const box = this.$('exp-figures');
    let index = null;
    let unreachable = false;
    try {
      const response = await fetch(new URL('../results/index.json', import.meta.url));
      if (response.ok) index = await response.json();
    } catch {
      unreachable = true;
    }
    box.replaceChildren();
    if (!index?.experiments?.length) {
      const p = document.createElement('p');
      p.textContent = unreachable
        ? 'Offline: the full-scale figures were not saved for offline use on this device (they are after one visit online). The live sweeps above work offline.'
        : 'No full-scale results are published with this copy of the page.';
      box.append(p);
      this.figuresLoaded = !unreachable; // try again when the network is back
      return;
    }
    for (const e of index.experiments) {
      const fig = document.createElement('figure');
      fig.className = 'exp-figure';
      const img = document.createElement('img');
      img.src = new URL(`../results/${e.figures[0]}`, import.meta.url).href;
      img.alt = `${e.experiment}: ${e.title}`;
      img.loading = 'lazy';
      const cap = document.createElement('figcaption');
      cap.textContent = `${e.experiment}: ${e.title}. ${e.note}`;
      fig.append(img, cap);
      box.append(fig);
    }
  }
}
