// The "Sample a function" and "Out of distribution" controls (index.html): the family to draw
// from and how many points to reveal, the convex combination α·f₁ + (1−α)·f₂ and the sinusoid
// frequency ω, each labelled inside or outside pretraining. Every change goes into the link;
// moving α or ω draws again with the same seed. The family texts and the inside/outside tests
// are lib/families.js's, shared with the Experiments view.

import { sinusoidBands, omegaInside, convexFamily, sinusoidAt, convexInside } from './families.js';
import { noiseSigma } from './truth.js';
import { maxContext } from './predict.js';

/** Families offered for convex combinations besides the mixture's own. */
const EXTRA_FAMILIES = ['linear(bias)', 'sinusoid(omega_lo=0.5,omega_hi=2.5)', 'relu_net(hidden=100,bias)', 'decision_tree(depth=3,gaussian_thresholds)'];

/** A fresh 32-bit seed. */
export function randomSeed() {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

/**
 * The choices of f₁ and f₂: the mixture's families, then the extra ones it lacks, each with its
 * option text (`[{spec, text}]`).
 */
export function convexChoices(families) {
  const specs = families.map((f) => f.spec);
  return [...specs, ...EXTRA_FAMILIES.filter((e) => !specs.includes(e))]
    .map((spec) => ({ spec, text: specs.includes(spec) ? spec : `${spec} (not in pretraining)` }));
}

/** The text of the trained ω bands under the slider. */
export function bandText(families) {
  const bands = sinusoidBands(families);
  return bands.length ? `trained band: ${bands.map(([lo, hi]) => `[${lo}, ${hi}]`).join(', ')}` : 'this mixture has no sinusoids';
}

export class SamplingControls {
  /**
   * @param {object} app  the page's runtime state: reads `state`, `families`, `info`, `reference`
   * @param {object} options
   * @param {(id: string) => HTMLElement} options.$  the page's elements
   * @param {(family: string, seed: number, k: number) => void} options.sample  draws a function
   *   and shows it (lib/truth.js)
   * @param {(field: string, value) => void} options.remember  puts a view-state field into the
   *   link without redrawing
   */
  constructor(app, { $, sample, remember }) {
    this.app = app;
    this.$ = $;
    this.sample = sample;
    this.remember = remember;
    this.seed = randomSeed(); // of the out-of-distribution draws: moving α or ω keeps the function's draw
  }

  /** Draws from the family picked under "Sample a function", with a new seed. */
  #sampleFamily() {
    this.sample(this.$('family').value, randomSeed(), this.#k());
  }

  /** Draws the convex combination or the sinusoid of the controls (`newSeed`: another function). */
  #drawOod(kind, newSeed = false) {
    if (newSeed) this.seed = randomSeed();
    this.sample(kind === 'convex' ? this.#convexSpec() : sinusoidAt(Number(this.$('omega').value)), this.seed, this.#k());
  }

  #k() {
    return Number(this.$('k').value);
  }

  #convexSpec() {
    const { $ } = this;
    return convexFamily(Number($('alpha').value), $('convex-a').value, $('convex-b').value);
  }

  /** Wires the controls: each change is remembered in the link; α, f₁, f₂ and ω draw again. */
  bind() {
    const { $ } = this;
    $('k').addEventListener('input', () => {
      $('k-value').textContent = $('k').value;
      this.remember('k', this.#k());
    });
    $('family').addEventListener('change', () => this.remember('family', $('family').value));
    $('sample').addEventListener('click', () => this.#sampleFamily());
    for (const [id, field, read] of [['alpha', 'alpha', Number], ['convex-a', 'convexA', String], ['convex-b', 'convexB', String]]) {
      $(id).addEventListener('input', () => {
        this.remember(field, read($(id).value));
        this.label();
        this.#drawOod('convex');
      });
    }
    $('convex-new').addEventListener('click', () => this.#drawOod('convex', true));
    $('omega').addEventListener('input', () => {
      this.remember('omega', Number($('omega').value));
      this.label();
      this.#drawOod('omega');
    });
    $('omega-new').addEventListener('click', () => this.#drawOod('omega', true));
  }

  /** Fills the family pickers from the mixture (keeping the view's choices) and the limits of k. */
  fill() {
    const { $, app } = this;
    const select = $('family');
    const previous = select.value;
    select.replaceChildren();
    for (const f of app.families) select.append(new Option(`${f.spec} (${(100 * f.weight).toFixed(0)}%)`, f.spec));
    const wanted = app.state.family || previous;
    if (app.families.some((f) => f.spec === wanted)) select.value = wanted;
    // Convex combinations: of two pretraining families where there are two, else with a line.
    const choices = convexChoices(app.families);
    const specs = choices.map((c) => c.spec);
    for (const [id, index, field] of [['convex-a', 0, 'convexA'], ['convex-b', 1, 'convexB']]) {
      const sel = $(id);
      const prev = app.state[field] || sel.value;
      sel.replaceChildren(...choices.map((c) => new Option(c.text, c.spec)));
      sel.value = specs.includes(prev) ? prev : specs[Math.min(index, specs.length - 1)];
    }
    const max = maxContext(app.info);
    $('k').max = String(max);
    if (Number($('k').value) > max) $('k').value = String(max);
    $('k-value').textContent = $('k').value;
    $('sigma-value').textContent = noiseSigma(app.info, app.reference).toFixed(3);
    this.label();
  }

  /** After the view state set the controls: the values beside them and the inside/outside tags. */
  sync() {
    this.$('k-value').textContent = this.$('k').value;
    this.label();
  }

  /** The α and ω values beside the sliders, each tagged inside or outside pretraining. */
  label() {
    const { $, app } = this;
    const alpha = Number($('alpha').value);
    $('alpha-value').textContent = alpha.toFixed(2);
    tagInside($('alpha-label'), convexInside(app.families, alpha, $('convex-a').value, $('convex-b').value));
    const omega = Number($('omega').value);
    $('omega-value').textContent = omega.toFixed(2);
    tagInside($('omega-label'), omegaInside(app.families, omega));
    $('omega-band').textContent = bandText(app.families);
  }
}

function tagInside(node, inside) {
  node.textContent = inside ? 'inside pretraining' : 'outside pretraining';
  node.className = `ood-tag ${inside ? 'inside' : 'outside'}`;
}
