// The "which family?" bars: for each family of a pretraining mixture, one bar per predictor
// (the model, the Bayes posterior) with its probability, as ARIA meters.

/**
 * Fills `box` with one row per family name; `series` is `[{cls, probs, who}]` (`cls` the bar's
 * CSS class, `probs` one probability per name or null to leave that predictor out, `who` its
 * accessible name).
 */
export function renderBeliefs(box, names, series) {
  box.replaceChildren();
  for (let j = 0; j < names.length; j += 1) {
    const row = document.createElement('div');
    row.className = 'belief';
    const label = document.createElement('span');
    label.className = 'belief-name';
    label.textContent = names[j];
    row.append(label);
    const bars = document.createElement('span');
    bars.className = 'belief-bars';
    for (const { cls, probs, who } of series) {
      if (!probs) continue;
      const p = probs[j];
      const bar = document.createElement('span');
      bar.className = `bar ${cls}`;
      bar.setAttribute('role', 'meter');
      bar.setAttribute('aria-valuemin', '0');
      bar.setAttribute('aria-valuemax', '1');
      bar.setAttribute('aria-valuenow', p.toFixed(3));
      bar.setAttribute('aria-label', `${who}: probability of ${names[j]}`);
      bar.title = `${who}: ${(100 * p).toFixed(1)}%`;
      const fill = document.createElement('span');
      fill.className = 'fill';
      fill.style.width = `${(100 * p).toFixed(1)}%`;
      const text = document.createElement('span');
      text.className = 'pct';
      text.textContent = `${(100 * p).toFixed(0)}%`;
      bar.append(fill);
      bars.append(bar, text);
    }
    row.append(bars);
    box.append(row);
  }
}
