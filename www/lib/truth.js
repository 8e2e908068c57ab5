// The sampled true function: a draw (family, seed, k noisy points) made by the model worker, its
// noiseless curve (redrawn when a shared link names it), and the Bayes posterior that knows its
// family (the "covering" reference of the Bayes worker).

/** Inputs at which a sampled function's true curve is evaluated (model units). */
export const TRUTH_XS = Array.from({ length: 1201 }, (_, i) => -12 + i * 0.02);

/** The noise σ of a draw: the middle of the pretraining mixture's noise range (0 when unknown). */
export function noiseSigma(info, reference) {
  const noise = info?.noise ?? reference?.noise ?? [0, 0];
  return (noise[0] + noise[1]) / 2;
}

/** What identifies a drawn curve: its family and seed. */
const curveKey = (family, seed) => `${family}@${seed}`;

export class Truth {
  /**
   * @param {object} app  the page's runtime state: reads `state.truth`, `info`, `reference`;
   *   writes `truth` ({key, xs, ys}: the curve, model units) and `covering` (the covering
   *   reference: {truth, mixture, prior, sigma})
   * @param {object} options
   * @param {{model: Channel, bayes: Channel}} options.channels  the two workers (lib/channel.js)
   * @param {(key, text, kind?) => void} options.message  the message bar (lib/messages.js)
   * @param {{use(changes), drawn(), dropped(), coveringChanged()}} options.hooks  apply a
   *   draw's view-state changes; redraw once a linked curve arrives; write the link after a
   *   linked function could not be drawn; predict again with a new covering reference
   */
  constructor(app, { channels, message, hooks }) {
    this.app = app;
    this.channels = channels;
    this.message = message;
    this.hooks = hooks;
  }

  /**
   * Draws `k` points of a function from `family` with `seed` and shows them with its curve; the
   * noise σ is the pretraining mixture's middle one unless given.
   */
  async sample(family, seed, k, sigma = noiseSigma(this.app.info, this.app.reference)) {
    try {
      const sample = await this.#draw(family, seed, k, sigma);
      this.message('sample', '');
      this.app.truth = { key: curveKey(family, seed), xs: TRUTH_XS, ys: Array.from(sample.curve) };
      const points = Array.from(sample.xs, (x, i) => [x, sample.ys[i]]);
      this.hooks.use({ points, std: false, xdate: false, xLabel: '', yLabel: '', source: '', truth: { family, seed, sigma } });
    } catch (e) {
      this.message('sample', `Could not sample '${family}': ${e.message}`);
    }
  }

  /** Redraws the true curve of `state.truth` (e.g. after loading a shared link). */
  async refresh() {
    const { app } = this;
    const truth = app.state.truth;
    if (!truth) {
      app.truth = null;
      return;
    }
    const key = curveKey(truth.family, truth.seed);
    if (app.truth?.key === key) return;
    try {
      const sample = await this.#draw(truth.family, truth.seed, 0, truth.sigma);
      app.truth = { key, xs: TRUTH_XS, ys: Array.from(sample.curve) };
      this.hooks.drawn();
    } catch (e) {
      this.message('sample', `The link's sampled function could not be drawn: ${e.message}`);
      app.state.truth = null;
      this.hooks.dropped();
    }
  }

  /** Sets (or clears) the Bayes worker's reference that knows the true family of the shown function. */
  postCovering() {
    const { app } = this;
    const truth = app.state.truth;
    const mixture = app.info?.mixture ?? app.reference?.mixture;
    if (!truth || !mixture) {
      if (app.covering) this.channels.bayes.post({ type: 'covering', truth: null });
      app.covering = null;
      return;
    }
    const c = app.covering;
    if (c?.truth === truth.family && c?.sigma === truth.sigma && c?.mixture === mixture) return;
    this.channels.bayes.post({ type: 'covering', truth: truth.family, mixture, sigma: truth.sigma });
  }

  /** The Bayes worker's `covering`: the reference (or its error). */
  onCovering({ covering, error }) {
    this.app.covering = covering;
    this.message('covering', error ?? '', 'warning');
    this.hooks.coveringChanged();
  }

  #draw(family, seed, k, sigma) {
    return this.channels.model.call({ type: 'sample', family, seed, k, sigma, curveXs: TRUTH_XS });
  }
}
