// The embed's one slider (page feature `vary`, the link's `vary` key): it varies the sampled
// function of a prepared demo and draws it again with the same seed and noise. `alpha` moves α
// of the convex combination α·f₁ + (1−α)·f₂, `omega` the frequency ω of a sinusoid, `k` the
// number of revealed points of the same function. α and ω are tagged inside or outside the
// pretraining mixture, as on the full page (lib/families.js).

import { convexFamily, convexInside, omegaInside, sinusoidAt, sinusoidBands, DEFAULT_CONVEX } from './families.js';
import { maxContext } from './predict.js';

/** Each slider: its label, range, the state field it moves and how its value is printed. */
export const VARY = Object.freeze({
  alpha: { label: 'α', field: 'alpha', min: 0, max: 1, step: 0.05, format: (v) => v.toFixed(2) },
  omega: { label: 'ω', field: 'omega', min: 0.1, max: 8, step: 0.1, format: (v) => `${v.toFixed(1)} rad per unit x` },
  k: { label: 'points', field: 'k', min: 1, max: 40, step: 1, format: (v) => String(v) },
});

/** The family a `vary` slider of `kind` draws from at `value` (`state`: f₁, f₂; `truth`: the current function). */
export function variedFamily(kind, value, state) {
  if (kind === 'alpha') return convexFamily(value, state.convexA || DEFAULT_CONVEX[0], state.convexB || DEFAULT_CONVEX[1]);
  if (kind === 'omega') return sinusoidAt(value);
  return state.truth?.family ?? null;
}

/** Whether the value of slider `kind` lies inside pretraining (`families` of the mixture), or null where that has no meaning. */
export function variedInside(kind, value, state, families) {
  if (!families.length) return null;
  if (kind === 'alpha') return convexInside(families, value, state.convexA || DEFAULT_CONVEX[0], state.convexB || DEFAULT_CONVEX[1]);
  if (kind === 'omega') return sinusoidBands(families).length ? omegaInside(families, value) : false;
  return null;
}

export class VaryControl {
  /**
   * @param {object} app  the page's runtime state: reads `state` (vary, alpha, omega, k, truth,
   *   convexA, convexB), `families` and `info`; writes the moved field of `state`
   * @param {object} options
   * @param {(id: string) => HTMLElement} options.$  the page's elements (`vary-row`, `vary-input`,
   *   `vary-name`, `vary-value`, `vary-tag`)
   * @param {(family, seed, k, sigma) => void} options.sample  draws and shows a function (lib/truth.js)
   */
  constructor(app, { $, sample }) {
    this.app = app;
    this.$ = $;
    this.sample = sample;
  }

  bind() {
    this.$('vary-input').addEventListener('input', () => this.#moved());
  }

  /** Shows the slider the view asks for (none: hidden) at the view's value. */
  sync() {
    const { $, app } = this;
    const kind = app.state.vary;
    const spec = VARY[kind];
    $('vary-row').hidden = !spec || !app.state.truth;
    document.body.dataset.vary = String(!$('vary-row').hidden);
    if (!spec) return;
    const input = $('vary-input');
    const max = kind === 'k' ? Math.min(spec.max, maxContext(app.info)) : spec.max;
    Object.assign(input, { min: String(spec.min), max: String(max), step: String(spec.step) });
    if (document.activeElement !== input) input.value = String(app.state[spec.field]);
    $('vary-name').textContent = spec.label;
    this.label();
  }

  /** The value beside the slider, and the inside/outside tag of α and ω. */
  label() {
    const { $, app } = this;
    const kind = app.state.vary;
    const spec = VARY[kind];
    if (!spec) return;
    const value = Number($('vary-input').value);
    $('vary-value').textContent = spec.format(value);
    // In the compare view the models' mixtures differ: no one tag holds for all of them.
    const inside = app.state.compare.length ? null : variedInside(kind, value, app.state, app.families);
    const tag = $('vary-tag');
    tag.hidden = inside === null;
    tag.textContent = inside ? 'inside pretraining' : 'outside pretraining';
    tag.className = `ood-tag ${inside ? 'inside' : 'outside'}`;
  }

  #moved() {
    const { $, app } = this;
    const kind = app.state.vary;
    const spec = VARY[kind];
    const truth = app.state.truth;
    if (!spec || !truth) return;
    const value = Number($('vary-input').value);
    app.state[spec.field] = value;
    this.label();
    const family = variedFamily(kind, value, app.state);
    this.sample(family, truth.seed, app.state.k, truth.sigma);
  }
}
