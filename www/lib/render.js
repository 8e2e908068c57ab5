// Drawing the view: the plot's domain, the main plot and its legend, the family beliefs, the
// compare panels' shared settings, the fit table (lib/fit-table.js, where the page has one),
// the warnings about points beyond pretraining, and the short summary read to screen readers.

import { formatDate, contextIndices, CONTEXT_CHOICES } from './csv.js';
import { renderBeliefs } from './beliefs.js';
import { maxContext, usedPoints, contextKey } from './predict.js';

const X_PRIOR_BOUND = 3; // pretraining x ~ N(0, 1): |x| > 3 has probability 0.27%

/**
 * The plot's range for `points` (display units): symmetric about 0 and at least ±3 (the
 * pretraining inputs' range), or, for standardised points, their own range with a margin.
 */
export function fitDomain(points, std) {
  if (!std || points.length === 0) {
    const ymax = Math.max(3, ...points.map((p) => Math.abs(p[1]) * 1.1));
    const xmax = Math.max(3, ...points.map((p) => Math.abs(p[0]) * 1.05));
    return { x0: -xmax, x1: xmax, y0: -ymax, y1: ymax };
  }
  const range = (j, pad) => {
    const v = points.map((p) => p[j]);
    const lo = Math.min(...v);
    const hi = Math.max(...v);
    const span = hi - lo || Math.abs(hi) || 1;
    return [lo - pad * span, hi + pad * span];
  };
  const [x0, x1] = range(0, 0.08);
  const [y0, y1] = range(1, 0.3);
  return { x0, x1, y0, y1 };
}

/**
 * The warning about the points (text, '' for none): more than the model takes, inputs beyond
 * the pretraining range, outputs beyond the model's borders. `modelPoints` ({xs, ys}, model
 * units) is the context of the last model request.
 */
export function rangeWarnings(state, info, modelPoints) {
  const notes = [];
  const n = state.points.length;
  const max = maxContext(info);
  if (n > max) {
    notes.push(
      `${info ? 'This model' : 'The page'} takes at most ${max} context points: ${max} of ${n} are used ` +
        `(${CONTEXT_CHOICES[state.use]}; choose under the plot), the others are drawn hollow.`,
    );
  }
  if (modelPoints && n) {
    const { xs, ys } = modelPoints;
    const xOut = xs.filter((x) => Math.abs(x) > X_PRIOR_BOUND).length;
    if (xOut) {
      notes.push(`${xOut} point${xOut > 1 ? 's lie' : ' lies'} outside x ∈ [−${X_PRIOR_BOUND}, ${X_PRIOR_BOUND}]${state.std ? ' after standardising' : ''}: pretraining inputs are x ~ N(0, 1), so the model has rarely seen such inputs.`);
    }
    const b = info?.borders;
    if (b) {
      const lo = b[0];
      const hi = b[b.length - 1];
      const yOut = ys.filter((y) => y < lo || y > hi).length;
      if (yOut) notes.push(`${yOut} point${yOut > 1 ? 's have' : ' has'} y outside [${lo.toFixed(2)}, ${hi.toFixed(2)}], the range of y seen in pretraining.`);
    }
  }
  return notes.join(' ');
}

/** What screen readers hear of the model's belief over families: in steps of 5%, highest first. */
export function beliefAnnouncement(names, probs) {
  const ranked = names.map((name, j) => [name, Math.round(20 * probs[j]) * 5]).sort((a, b) => b[1] - a[1]);
  return `Model belief: ${ranked.map(([name, p]) => `${name} ${p}%`).join(', ')}.`;
}

export class Renderer {
  /**
   * @param {object} app  the page's runtime state: reads `state`, `view`, `truth`, `info`,
   *   `reference`, `covering`, `families`, `domain`, `loo`, `dragging`; writes `fit`
   * @param {object} options
   * @param {(id: string) => HTMLElement} options.$  the page's elements
   * @param {Plot} options.plot  the main plot (lib/plot.js)
   * @param {CompareView} options.compare  the compare panels (lib/compare.js)
   * @param {FitTable | null} options.fitTable  the fit table, where the page has one
   * @param {(key, text, kind?) => void} options.message  the message bar (lib/messages.js)
   */
  constructor(app, { $, plot, compare, fitTable, message }) {
    this.app = app;
    this.plot = plot;
    this.compare = compare;
    this.fitTable = fitTable;
    this.message = message;
    this.beliefs = $('beliefs');
    this.announcer = $('announce');
    this.source = $('source');
    this.legend = Object.fromEntries(['ls', 'truth', 'model', 'bayes', 'covering', 'covering-prior'].map((k) => [k, $(`legend-${k}`)]));
  }

  /** Draws the current view. */
  render() {
    const { app } = this;
    const s = app.state;
    const v = app.view ?? {};
    const truth = app.truth && !s.std ? { xs: app.truth.xs, ys: app.truth.ys } : null;
    const used = new Set(contextIndices(s.points, maxContext(app.info), s.use));
    const labels = () => ({ x: s.xLabel || 'x', y: s.yLabel || 'y', xFormat: s.xdate ? formatDate : null });
    this.plot.render({
      used,
      domain: app.domain,
      labels: labels(),
      model: v.model,
      bayes: v.bayes,
      covering: truth ? v.covering : null,
      ls: v.ls,
      truth,
      show: { bands: s.bands, heat: s.heat, ls: s.ls, bayes: s.bayes, covering: s.covering },
    });
    this.#showBeliefs(v);
    if (this.fitTable) {
      const context = usedPoints(s, app.info);
      app.fit = this.fitTable.render({ view: v, truth, state: s, loo: app.loo, key: contextKey(s, context), domain: app.domain, used: context.length });
    }
    this.compare.update({ used, points: s.points, domain: app.domain, labels: labels(), truth, show: { bands: s.bands } });
    this.message('range', rangeWarnings(s, app.info, app.view?.modelPoints), 'warning');
    this.source.textContent = s.source ? `Data: ${s.source}` : '';
    this.legend.ls.hidden = !s.ls;
    this.legend.truth.hidden = !truth;
    this.legend.model.hidden = !app.info;
    this.legend.bayes.hidden = !s.bayes || !app.reference;
    this.legend.covering.hidden = !(s.covering && truth && v.covering);
    this.legend['covering-prior'].textContent = app.covering ? `prior ${app.covering.prior}, σ = ${app.covering.sigma.toFixed(3)}` : '';
  }

  /**
   * Tells screen readers the settled result, briefly and only when it changed: the model's
   * belief over families in steps of 5% (never while a point is being dragged).
   */
  announce() {
    const { app } = this;
    const names = app.info?.families.map((f) => f.name);
    const probs = app.view?.model?.familyProbs;
    if (!names || probs?.length !== names.length || app.dragging) return;
    const text = beliefAnnouncement(names, probs);
    if (this.announcer.textContent !== text) this.announcer.textContent = text;
  }

  #showBeliefs(v) {
    const { app } = this;
    const names = app.info?.families.map((f) => f.name) ?? v.bayes?.families ?? app.families.map((f) => f.name);
    if (!names?.length) {
      this.beliefs.replaceChildren();
      return;
    }
    // A result computed for another model (one still in flight while the picker changed) has
    // another number of families: it is not drawn.
    const fits = (probs) => (probs?.length === names.length ? probs : null);
    renderBeliefs(this.beliefs, names, [
      { cls: 'model', probs: fits(v.model?.familyProbs), who: 'model' },
      { cls: 'bayes', probs: app.state.bayes && app.reference ? fits(v.bayes?.familyProbs) : null, who: 'Bayes posterior' },
    ]);
  }
}
