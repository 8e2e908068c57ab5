// The view state's controls on the page, derived from the state table (lib/state.js FIELDS:
// each field's control element and the page feature it belongs to): setting them from the
// state, passing the reader's changes on, and the buttons that act on the whole view (clear,
// copy the link) with the point count beside them.

import { FIELDS } from './state.js';
import { maxContext } from './predict.js';

/** The fields with a control on a page of configuration `page` (lib/page.js). */
export function controlledFields(page) {
  return FIELDS.filter((f) => f.control && page.has(f.control.feature));
}

export class ViewControls {
  /**
   * @param {{has(feature: string): boolean}} page  the page's configuration (lib/page.js)
   * @param {(id: string) => HTMLElement} $  the page's elements
   */
  constructor(page, $) {
    this.page = page;
    this.$ = $;
    this.fields = controlledFields(page).map((f) => ({ ...f, element: $(f.control.id) }));
  }

  /**
   * Sets every control from `state`. Flags are checkboxes; the others take the field's value (a
   * select keeps its choice when the state names no option of it, e.g. '' = the mixture's
   * default family). Shows the point count, and the context choice when there are more points
   * than the model (`info`) takes.
   */
  sync(state, info) {
    for (const { field, element } of this.fields) {
      if (element.type === 'checkbox') element.checked = state[field];
      else if (element.tagName !== 'SELECT' || [...element.options].some((o) => o.value === String(state[field]))) element.value = String(state[field]);
    }
    const n = state.points.length;
    this.$('point-count').textContent = `${n} point${n === 1 ? '' : 's'}`;
    if (this.page.has('context')) this.$('use-row').hidden = n <= maxContext(info);
  }

  /**
   * Wires the controls of the features in `changed` ({feature: (changes) => void}: where a
   * change of that feature's fields goes), the clear button (`clear()`), and the copy-link
   * button where the page has one (`link()` returns the view's link).
   */
  bind({ changed, clear, link }) {
    for (const { field, control, element } of this.fields) {
      const apply = changed[control.feature];
      if (!apply) continue;
      element.addEventListener('change', (e) => apply({ [field]: e.target.type === 'checkbox' ? e.target.checked : e.target.value }));
    }
    this.$('clear').addEventListener('click', clear);
    if (!this.page.has('copy-link')) return;
    this.$('copy-link').addEventListener('click', async () => {
      const url = link();
      try {
        await navigator.clipboard.writeText(url);
        this.$('copy-status').textContent = 'link copied';
      } catch {
        this.$('copy-status').textContent = 'copy the address bar';
      }
    });
  }
}
