// Bring your own data: the "Your data" controls. Pasted, dropped or bundled text is read into a
// typed table (lib/csv.js), two of its columns (and an optional category filter) are chosen
// with pickers, and the chosen points are handed to the page, standardised.

import { parseCsv, parseTable, defaultSelection, selectPoints, CsvError, spreadSubsample, raggedNote } from './csv.js';

/** Bundled real data (vega-datasets, see data/README.md). */
export const DATASETS = {
  seattle: {
    file: '../data/seattle-temp-max.csv',
    title: 'Seattle daily maximum temperature',
    source: 'Seattle daily max temperature by day of year, 2012–2015 (vega-datasets seattle-weather.csv, NOAA)',
  },
  cars: {
    file: '../data/cars-hp-mpg.csv',
    title: 'Cars: horsepower vs miles per gallon',
    source: 'Cars: horsepower vs miles per gallon, 1970–1982 models (vega-datasets cars.json, StatLib / 1983 ASA Data Expo)',
  },
};

/** Longest text kept in the paste box after a drop. */
const MAX_SHOWN_CHARS = 200000;

export class DataImport {
  /**
   * @param {{$: (id: string) => HTMLElement | null, message(key, text, kind?), maxPoints: number,
   *   usePoints(changes: object): void}} page  `usePoints` receives the view-state changes of
   *   the chosen points (points, std, xdate, labels, source, use) to apply.
   */
  constructor(page) {
    this.page = page;
    this.table = null; // {table, source}
  }

  /** Wires the paste button, the column pickers, the dataset buttons and file drops. */
  bind() {
    const { $ } = this.page;
    $('use-csv').addEventListener('click', () => this.useText($('csv').value, { title: 'pasted data' }));
    for (const id of ['column-x', 'column-y', 'column-value']) $(id).addEventListener('change', () => this.apply(this.#pickedSelection()));
    $('column-filter').addEventListener('change', () => {
      this.#fillFilterValues();
      this.apply(this.#pickedSelection());
    });
    for (const button of document.querySelectorAll('[data-dataset]')) {
      button.addEventListener('click', () => this.loadDataset(button.dataset.dataset));
    }
    for (const target of [$('plot'), $('csv')]) {
      target.addEventListener('dragover', (e) => {
        e.preventDefault();
        target.classList.add('dropping');
      });
      target.addEventListener('dragleave', () => target.classList.remove('dropping'));
      target.addEventListener('drop', async (e) => {
        e.preventDefault();
        target.classList.remove('dropping');
        const file = e.dataTransfer?.files?.[0];
        const text = file ? await file.text() : e.dataTransfer?.getData('text/plain');
        if (text) {
          $('csv').value = text.slice(0, MAX_SHOWN_CHARS);
          this.useText(text, { title: file?.name ?? 'dropped data' });
        }
      });
    }
  }

  /** Reads text into a table and shows its default columns; false (with a message) if it cannot. */
  useText(text, { title = '', source = '' } = {}) {
    let table;
    let selection;
    try {
      table = parseTable(text);
      selection = defaultSelection(table);
      if (!selection) parseCsv(text); // throws the error that names the offending cell
    } catch (e) {
      if (!(e instanceof CsvError)) throw e;
      this.page.message('csv', `Could not read the data: ${e.message} The points on the plot were kept.`);
      return false;
    }
    this.table = { table, source: source || title };
    this.#fillColumnPickers(table, selection);
    return this.apply(selection);
  }

  async loadDataset(key) {
    const d = DATASETS[key];
    try {
      const response = await fetch(new URL(d.file, import.meta.url));
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      this.useText(await response.text(), { title: d.title, source: d.source });
    } catch (e) {
      this.page.message('csv', `Could not load ${d.title}: ${e.message}`);
    }
  }

  /** Hands the points of the chosen columns (`selection`: {x, y, filter}) to the page. */
  apply(selection) {
    const { table, source } = this.table;
    let parsed;
    try {
      parsed = selectPoints(table, selection);
    } catch (e) {
      if (!(e instanceof CsvError)) throw e;
      this.page.message('csv', `${e.message} The points on the plot were kept.`);
      return false;
    }
    // Keeps up to maxPoints rows (spread over x, in file order); the page chooses the context
    // among them (state.use).
    const kept = Math.min(this.page.maxPoints, parsed.xs.length);
    const idx = spreadSubsample(parsed.xs, kept).sort((a, b) => a - b);
    const points = idx.map((i) => [parsed.xs[i], parsed.ys[i]]);
    const [xName, yName] = parsed.names;
    const filterName = selection.filter ? `${table.columns[selection.filter.column].name} = ${selection.filter.value}` : '';
    const filter = filterName ? ` where ${filterName}` : '';
    const rows = (n) => `${n} row${n === 1 ? '' : 's'}`;
    const used = parsed.xs.length > kept ? `Kept ${kept} of ${rows(parsed.xs.length)}${filter}, spread evenly over x. ` : filter ? `${rows(parsed.xs.length)}${filter}. ` : '';
    const skipped = parsed.skipped ? `Skipped ${parsed.skipped} row${parsed.skipped > 1 ? 's' : ''} with a missing value. ` : '';
    this.page.message('csv', `${raggedNote(table.ragged)}${used}${skipped}x and y are standardised with these points' mean and standard deviation (as TabPFN does) and predictions mapped back.`, 'note');
    const label = filterName ? `${source}${source ? ', ' : ''}${filterName}` : source;
    this.page.usePoints({ points, std: true, xdate: parsed.xDate, xLabel: xName, yLabel: yName, source: label, use: 'spread' });
    return true;
  }

  /** Column pickers for x, y and a category filter, shown for tables with more than two columns. */
  #fillColumnPickers(table, selection) {
    const { $ } = this.page;
    const box = $('columns');
    if (!box) return;
    const cols = table.columns;
    box.hidden = cols.length <= 2 && !cols.some((c) => c.kind === 'text');
    const options = (select, pick, extra = []) => {
      select.replaceChildren(...extra, ...cols.map((c, j) => [c, j]).filter(([c]) => pick(c)).map(([c, j]) => new Option(`${c.name} (${c.kind})`, String(j))));
    };
    options($('column-x'), (c) => c.kind !== 'text');
    options($('column-y'), (c) => c.kind === 'number');
    options($('column-filter'), (c) => c.kind === 'text', [new Option('no filter', '')]);
    $('column-x').value = String(selection?.x ?? '');
    $('column-y').value = String(selection?.y ?? '');
    $('column-filter').value = selection?.filter ? String(selection.filter.column) : '';
    this.#fillFilterValues(selection?.filter?.value);
  }

  /** The values of the filter column (most frequent first, at most 500). */
  #fillFilterValues(value) {
    const { $ } = this.page;
    const select = $('column-value');
    const j = $('column-filter').value;
    select.hidden = j === '';
    if (j === '') return;
    const counts = new Map();
    for (const v of this.table.table.columns[Number(j)].values) if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
    const values = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 500);
    select.replaceChildren(...values.map(([v, n]) => new Option(`${v} (${n})`, v)));
    select.value = value !== undefined && counts.has(value) ? value : values[0]?.[0] ?? '';
  }

  #pickedSelection() {
    const { $ } = this.page;
    const filter = $('column-filter').value;
    return {
      x: Number($('column-x').value),
      y: Number($('column-y').value),
      filter: filter === '' ? null : { column: Number(filter), value: $('column-value').value },
    };
  }
}
