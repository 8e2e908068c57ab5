// The fit table under the plot (index.html): with a known true function, each predictor's error
// against it and the share of the curve inside its 90% band; with data, leave-one-out error and
// the share of points inside the band predicted from the other points. Says plainly when the
// model is confidently wrong. The numbers come from lib/fit.js; this module chooses the rows,
// writes the sentence and draws the table.

import { fitToTruth, leaveOneOutFit, confidentlyWrong, num, pct } from './fit.js';

/** The table's rows, in order: [predictor, its name]. */
export const FIT_ROWS = [
  ['model', 'model'],
  ['bayes', 'Bayes, pretraining prior'],
  ['covering', 'Bayes, had pretraining covered this function'],
  ['ls', 'least squares'],
];

/**
 * The fit numbers of a view: `{mode: 'truth' | 'loo', rows: {model: {rmse, coverage, n, …}, …}}`,
 * or null when there is nothing to show. With `truth` ({xs, ys}) every shown curve of `view` is
 * compared with it; else the leave-one-out summaries of `loo` that belong to the context `key`.
 */
export function fitRows({ view, truth, state, loo, key }) {
  const rows = {};
  if (truth) {
    for (const [name] of FIT_ROWS) {
      const shown = name === 'model' ? view[name] : state[name] && view[name];
      const fit = shown ? fitToTruth(view[name], truth) : null;
      if (fit) rows[name] = fit;
    }
    return { mode: 'truth', rows };
  }
  for (const which of ['model', 'bayes']) {
    if (loo[which]?.key === key) rows[which] = leaveOneOutFit(loo[which].summary, loo[which].ys);
  }
  return Object.keys(rows).length ? { mode: 'loo', rows } : null;
}

/** The sentence under the table (`{text, kind}`; text '' for none) for fit rows of `mode`. */
export function fitNote(mode, rows) {
  const { model, covering } = rows;
  const ratio = model && covering ? model.rmse / covering.rmse : 0;
  const better = ratio > 3
    ? `A Bayesian whose prior covers this function errs ${num(ratio)}× less (RMSE ${num(covering.rmse)} against ${num(model.rmse)}): ` +
      'the points held the information; the model\'s pretraining ruled it out.'
    : '';
  if (model && mode === 'truth' && model.coverage !== null && model.coverage < 0.5) {
    return { text: `The model is confidently wrong here: its 90% band holds only ${pct(model.coverage)} of the true curve. ${better}`.trim(), kind: 'warning' };
  }
  if (model && mode === 'truth' && better) return { text: better, kind: 'note' };
  if (model && mode === 'loo' && confidentlyWrong(model.coverage, model.n)) {
    return {
      text: `The model is confidently wrong here: only ${model.inside} of ${model.n} points lie inside the 90% band ` +
        'predicted from the other points. These points look unlike anything in its pretraining.',
      kind: 'warning',
    };
  }
  return { text: '', kind: 'warning' };
}

export class FitTable {
  /**
   * @param {(id: string) => HTMLElement} $  the page's elements
   * @param {(key, text, kind?) => void} message  the message bar (lib/messages.js)
   */
  constructor($, message) {
    this.message = message;
    this.table = $('fit');
    this.caption = $('fit-caption');
    this.errorHead = $('fit-error-head');
    this.coverageHead = $('fit-coverage-head');
    this.body = $('fit-rows');
  }

  /**
   * Draws the fit of a view (the arguments of `fitRows`, with the plot's `domain` and the number
   * of context points `used`); returns `{mode, truth, rows}` (truth: the sampled family or null),
   * or null when the table is hidden.
   */
  render({ view, truth, state, loo, key, domain, used }) {
    const fit = fitRows({ view, truth, state, loo, key });
    this.table.hidden = !fit;
    if (!fit) {
      this.message('fit', '');
      return null;
    }
    const { mode, rows } = fit;
    this.caption.textContent = mode === 'truth'
      ? `Against the true function over the plot's range x ∈ [${num(domain.x0)}, ${num(domain.x1)}]`
      : `Leave-one-out: each of the ${used} context points predicted from the others (the true function is unknown)`;
    this.errorHead.textContent = mode === 'truth' ? 'error vs true curve (RMSE)' : 'error (RMSE)';
    this.coverageHead.textContent = mode === 'truth' ? 'true curve inside 90% band' : 'points inside their 90% band';
    this.body.replaceChildren();
    for (const [name, label] of FIT_ROWS) {
      const row = rows[name];
      if (!row) continue;
      const tr = document.createElement('tr');
      tr.dataset.predictor = name;
      for (const text of [label, num(row.rmse), pct(row.coverage)]) {
        const cell = document.createElement(tr.children.length ? 'td' : 'th');
        if (!tr.children.length) cell.scope = 'row';
        cell.textContent = text;
        tr.append(cell);
      }
      this.body.append(tr);
    }
    const note = fitNote(mode, rows);
    this.message('fit', note.text, note.kind);
    return { mode, truth: state.truth?.family ?? null, rows };
  }
}
