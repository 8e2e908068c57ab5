// The Experiments view: a live E6 / E7 on the loaded model, and the committed figures of
// `incontext reproduce` (results/index.json, written from docs/results/ by
// docs/publish-results.mjs during `./build.sh wasm`).
//
// Live: moving the α slider runs E6 (prompts from convex(α, f1, f2) of the model's first two
// families), moving the ω slider runs E7 (sinusoids of frequency ω). The model worker runs the
// transformer and the Bayes worker the exact posterior of the pretraining mixture on the same
// seeded prompts (lib/experiment-run.js); the page draws NSE(k) of both with a progress bar.

const SVG_NS = 'http://www.w3.org/2000/svg';
const SEED = 0x5eed; // prompt i is sampleFunction(family, SEED + i, …): the same in both workers
const MAX_POINTS = 41;
const WIDTH = 640;
const HEIGHT = 300;
const PAD = { left: 48, right: 12, top: 22, bottom: 36 };
const Y_CAP = 2; // NSE above this is drawn at the top edge

function el(tag, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  parent?.append(node);
  return node;
}

/** `[lo, hi]` of every sinusoid band of the families ({name, spec, weight}). */
export function sinusoidBands(families) {
  return families
    .filter((f) => f.name === 'sinusoid' && f.weight > 0)
    .map((f) => [Number(/omega_lo=([\d.eE+-]+)/.exec(f.spec)?.[1]), Number(/omega_hi=([\d.eE+-]+)/.exec(f.spec)?.[1])])
    .filter(([lo, hi]) => Number.isFinite(lo) && Number.isFinite(hi));
}

/** The family an experiment draws from: `{kind: 'convex', value: α}` or `{kind: 'omega', value: ω}`. */
export function experimentFamily(kind, value, families) {
  if (kind === 'convex') {
    if (families.length < 2) return null;
    return `convex(alpha=${value},${families[0].spec},${families[1].spec})`;
  }
  return `sinusoid(omega_lo=${value},omega_hi=${value})`;
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
    this.run = null; // {id, kind, value, family, points, prompts, progress: {model, bayes}, result: {model, bayes}, errors}
    this.nextId = 1;
    this.kind = 'convex';
    this.$ = (id) => root.querySelector(`#${id}`);
    this.figuresLoaded = false;
    root.experiments = this; // the view's state, for the browser tests
    root.addEventListener('toggle', () => {
      if (!root.open) return;
      this.loadFigures();
      this.refreshLabels();
      if (!this.run) this.start();
    });
    for (const [id, kind] of [['exp-alpha', 'convex'], ['exp-omega', 'omega']]) {
      const input = this.$(id);
      input.addEventListener('input', () => this.refreshLabels());
      input.addEventListener('change', () => {
        this.kind = kind;
        this.start();
      });
    }
    this.$('exp-prompts').addEventListener('change', () => this.start());
    this.$('exp-rerun').addEventListener('click', () => this.start());
  }

  /** Called when a model (or the reference) changes: relabels and reruns if the view is open. */
  modelChanged() {
    this.refreshLabels();
    if (this.root.open) this.start();
  }

  refreshLabels() {
    const { families } = this.context();
    const alpha = Number(this.$('exp-alpha').value);
    const omega = Number(this.$('exp-omega').value);
    this.$('exp-alpha-value').textContent = alpha.toFixed(1);
    this.$('exp-omega-value').textContent = omega.toFixed(1);
    const [f1, f2] = families;
    this.$('exp-alpha-families').textContent = f2
      ? `α·${f1.name} + (1 − α)·${f2.name}, rescaled to unit variance`
      : 'the loaded model has one family: no convex combination';
    const inside = (spec) => families.some((f) => f.spec === spec && f.weight > 0);
    const alphaInside = f2 && ((alpha === 1 && inside(f1.spec)) || (alpha === 0 && inside(f2.spec)));
    const bands = sinusoidBands(families);
    const omegaInside = bands.some(([lo, hi]) => omega >= lo && omega <= hi);
    this.tag(this.$('exp-alpha-tag'), alphaInside);
    this.tag(this.$('exp-omega-tag'), omegaInside);
    this.$('exp-omega-band').textContent = bands.length
      ? `trained band ${bands.map(([lo, hi]) => `[${lo}, ${hi}]`).join(', ')}`
      : 'no sinusoids in pretraining';
  }

  tag(node, inside) {
    node.textContent = inside ? 'inside pretraining' : 'outside pretraining';
    node.className = `ood-tag ${inside ? 'inside' : 'outside'}`;
  }

  /** Starts the experiment of the last slider moved (a running one is superseded). */
  start() {
    const { info, families, reference } = this.context();
    const value = Number(this.$(this.kind === 'convex' ? 'exp-alpha' : 'exp-omega').value);
    const family = experimentFamily(this.kind, value, families);
    if (!info || !family) {
      this.status(!info ? 'Load a model to run the experiments.' : 'This model has a single family: move the ω slider instead.');
      return;
    }
    const points = Math.min(info.maxPoints, MAX_POINTS);
    const prompts = Number(this.$('exp-prompts').value);
    const noise = reference?.noise ?? info.noise;
    const id = `exp-${this.nextId++}`;
    this.run = { id, kind: this.kind, value, family, points, prompts, progress: { model: 0, bayes: 0 }, result: {}, errors: {}, wantBayes: Boolean(reference) };
    const msg = { type: 'experiment', id, family, seed: SEED, prompts, points, noise };
    this.post.model({ ...msg, which: 'model' });
    if (reference) this.post.bayes({ ...msg, which: 'bayes' });
    this.root.dataset.status = 'running';
    this.showProgress();
    this.draw();
  }

  /** A worker message of type experiment-progress / experiment-result, or an error of stage experiment. */
  onMessage(data, which) {
    const run = this.run;
    if (!run || data.id !== run.id) return;
    // The last progress message comes before the result: a worker is done once it answered.
    if (data.type === 'experiment-progress') run.progress[which] = (0.99 * data.done) / data.total;
    else if (data.type === 'experiment-result' && !data.error) run.result[which] = data;
    else run.errors[which] = data.error ?? data.message;
    if (data.type !== 'experiment-progress') run.progress[which] = 1;
    this.showProgress();
    this.draw();
    const done = run.progress.model === 1 && (!run.wantBayes || run.progress.bayes === 1);
    if (done) this.root.dataset.status = 'done';
  }

  showProgress() {
    const run = this.run;
    const parts = run.wantBayes ? [run.progress.model, run.progress.bayes] : [run.progress.model];
    const fraction = parts.reduce((a, b) => a + b, 0) / parts.length;
    this.$('exp-progress').value = fraction;
    const what = run.kind === 'convex' ? `α = ${run.value}` : `ω = ${run.value}`;
    const errors = Object.entries(run.errors).map(([w, e]) => `${w}: ${e}`).join('; ');
    this.status(fraction < 1 ? `${what}: ${run.prompts} prompts, ${Math.round(fraction * 100)}%` : `${what}: done (${run.prompts} prompts${errors ? `; ${errors}` : ''})`);
  }

  status(text) {
    this.$('exp-status').textContent = text;
  }

  /** NSE(k) of the model and the Bayes posterior, with their 90% intervals. */
  draw() {
    const run = this.run;
    const box = this.$('exp-chart');
    box.replaceChildren();
    const svg = el('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', class: 'exp-svg' }, box);
    const title = run.kind === 'convex' ? `NSE(k), prompts from convex α = ${run.value}` : `NSE(k), sinusoids with ω = ${run.value}`;
    svg.setAttribute('aria-label', title);
    const series = ['model', 'bayes'].filter((w) => run.result[w]);
    const top = Math.min(Y_CAP, Math.max(1.2, ...series.flatMap((w) => run.result[w].hi)));
    const sx = (k) => PAD.left + (k / Math.max(1, run.points - 1)) * (WIDTH - PAD.left - PAD.right);
    const sy = (v) => PAD.top + (1 - Math.min(v, top) / top) * (HEIGHT - PAD.top - PAD.bottom);
    const axes = el('g', { class: 'exp-axes' }, svg);
    el('line', { x1: PAD.left, y1: sy(0), x2: WIDTH - PAD.right, y2: sy(0) }, axes);
    el('line', { x1: PAD.left, y1: sy(0), x2: PAD.left, y2: PAD.top }, axes);
    el('line', { x1: PAD.left, y1: sy(1), x2: WIDTH - PAD.right, y2: sy(1), class: 'exp-ref' }, axes);
    for (let k = 0; k < run.points; k += 5) {
      const t = el('text', { x: sx(k), y: HEIGHT - PAD.bottom + 16, 'text-anchor': 'middle' }, axes);
      t.textContent = String(k);
    }
    for (const v of [0, 0.5, 1, 1.5, 2].filter((v) => v <= top)) {
      const t = el('text', { x: PAD.left - 6, y: sy(v) + 4, 'text-anchor': 'end' }, axes);
      t.textContent = v.toFixed(1);
    }
    const xl = el('text', { x: (WIDTH + PAD.left) / 2, y: HEIGHT - 4, 'text-anchor': 'middle' }, axes);
    xl.textContent = 'k (context points)';
    const yl = el('text', { x: PAD.left + 6, y: 12, 'text-anchor': 'start' }, axes);
    yl.textContent = 'NSE';
    for (const w of series) {
      const r = run.result[w];
      const ks = r.nse.map((_, k) => sx(k));
      const band = pathD([...ks, ...ks.slice().reverse()], [...r.hi.map(sy), ...r.lo.map(sy).reverse()]) + 'Z';
      el('path', { d: band, class: `nse-band nse-${w}` }, svg);
      el('path', { d: pathD(ks, r.nse.map(sy)), class: `nse-line nse-${w}`, 'data-points': r.nse.length }, svg);
    }
    this.$('exp-caption').textContent = `${title} (${run.family}); ${run.prompts} seeded prompts, mean and 90% interval; 1 = predicting 0.`;
  }

  /** Lists the committed figures (results/index.json); missing results say how to make them. */
  async loadFigures() {
    if (this.figuresLoaded) return;
    this.figuresLoaded = true;
    const box = this.$('exp-figures');
    let index = null;
    try {
      const response = await fetch(new URL('../results/index.json', import.meta.url));
      if (response.ok) index = await response.json();
    } catch {
      index = null;
    }
    box.replaceChildren();
    if (!index?.experiments?.length) {
      const p = document.createElement('p');
      p.textContent = 'No full-scale results are published with this page yet (run `incontext reproduce`, then `./build.sh wasm`).';
      box.append(p);
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
