// Bring your own data: delimited text (pasted or dropped) parsed with d3-dsv into typed columns
// (numbers, dates, text), two of them chosen as x and y (optionally filtered by a text column),
// standardised with the context's own statistics (as TabPFN does: Hollmann et al., ICLR 2023)
// and mapped back.

import { dsvFormat } from '../vendor/d3-dsv.js';

/** A CSV problem the reader can fix; its message says where. */
export class CsvError extends Error {}

/** Most rows read from one paste or file. */
export const MAX_ROWS = 100000;
/** Largest |value| accepted: squares in the standardisation must stay finite in doubles. */
export const MAX_ABS_VALUE = 1e15;

const MISSING = new Set(['', 'na', 'n/a', 'nan', 'null', 'none', '-', '?']);
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY_MS = 86400000;

/** The separator of a line: tab, ';' or ',' outside double quotes, else runs of spaces (null). */
function delimiterOf(line) {
  let quoted = false;
  const seen = new Set();
  for (const c of line) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '\t' || c === ';' || c === ',')) seen.add(c);
  }
  return ['\t', ';', ','].find((c) => seen.has(c)) ?? null;
}

/**
 * A number from a field, accepting a decimal comma (where ',' does not separate fields) or
 * else comma thousands separators (`"1,437.5"`, quoted in a comma-separated file); undefined
 * if it is not one.
 */
function parseNumber(field, decimalComma) {
  const thousands = !decimalComma && /^[-+]?\d{1,3}(,\d{3})+(\.\d*)?$/.test(field);
  const f = decimalComma ? field.replace(',', '.') : thousands ? field.replaceAll(',', '') : field;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(f)) return undefined;
  const v = Number(f);
  return Number.isFinite(v) ? v : undefined;
}

/**
 * A date or date-time as days since 1970-01-01 UTC (fractional for times), or undefined:
 * ISO 8601 (`2024-03-01`, `2024-03-01T12:30`, `2024-03-01 12:30:15Z`, with an offset),
 * `2024/03/01`, and English month names (`Mar 1 2024`, `1 March 2024`). A time without a zone
 * is read as UTC, so that a column means the same in every reader's time zone.
 */
export function parseDate(field) {
  const f = field.trim();
  let m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?\s*(Z|[+-]\d{2}:?\d{2})?)?$/i.exec(f);
  if (m) {
    const [, y, mo, d, h = '0', mi = '0', sec = '0', zone] = m;
    let ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, 0) + 1000 * Number(sec);
    if (zone && zone.toUpperCase() !== 'Z') {
      const sign = zone[0] === '-' ? -1 : 1;
      const digits = zone.slice(1).replace(':', '');
      ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60000;
    }
    return valid(ms, +y, +mo, +d);
  }
  m = /^(\d{4})\/(\d{1,2})\/(\d{1,2})$/.exec(f);
  if (m) return valid(Date.UTC(+m[1], +m[2] - 1, +m[3]), +m[1], +m[2], +m[3]);
  m = /^([a-z]{3})[a-z]*\.? (\d{1,2}),? (\d{4})$/i.exec(f) ?? /^(\d{1,2}) ([a-z]{3})[a-z]*\.?,? (\d{4})$/i.exec(f);
  if (m) {
    const [monthText, day] = /^\d/.test(m[1]) ? [m[2], m[1]] : [m[1], m[2]];
    const month = MONTHS.indexOf(monthText.toLowerCase()) + 1;
    if (month > 0) return valid(Date.UTC(+m[3], month - 1, +day), +m[3], month, +day);
  }
  return undefined;
}

/** `ms` in days, unless the fields named a day that does not exist (2023-02-30). */
function valid(ms, year, month, day) {
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return undefined;
  return ms / DAY_MS;
}

/** A date (days since 1970-01-01 UTC) as text: the day, with the time when there is one. */
export function formatDate(days) {
  const iso = new Date(Math.round(days * DAY_MS)).toISOString();
  return Math.abs(days - Math.round(days)) < 1e-9 ? iso.slice(0, 10) : `${iso.slice(0, 16).replace('T', ' ')}`;
}

/**
 * Parses delimited text (comma, semicolon, tab or space separated, double-quoted fields with
 * separators or line breaks inside, an optional header line) with d3-dsv into typed columns.
 * A column is `number` (a decimal comma is accepted unless ',' separates fields), `date`
 * (see {@link parseDate}; values in days since 1970-01-01 UTC) or `text`, by its first
 * non-missing value. Returns `{columns: [{name, kind, values}], rows}`; a missing cell (empty,
 * NA, null, …) is null. Throws CsvError naming the line of the first malformed row.
 */
export function parseTable(text) {
  const source = String(text ?? '').replace(/^\uFEFF/, '');
  const lines = source.split(/\r\n|\n|\r/);
  const firstLine = lines.find((l) => l.trim() !== '');
  if (firstLine === undefined) throw new CsvError('The data is empty: paste two columns of numbers (x, y).');
  const delimiter = delimiterOf(firstLine);
  let rows;
  if (delimiter) {
    rows = dsvFormat(delimiter).parseRows(source).map((r, i) => ({ fields: r.map((f) => f.trim()), line: i + 1 }));
  } else {
    rows = lines.map((l, i) => ({ fields: l.trim().split(/\s+/), line: i + 1 }));
  }
  // d3-dsv numbers rows, not lines: a quoted line break makes them differ; count lines instead.
  if (delimiter) {
    let line = 1;
    const starts = [];
    let quoted = false;
    let start = true;
    for (const c of source) {
      if (start) {
        starts.push(line);
        start = false;
      }
      if (c === '"') quoted = !quoted;
      if (c === '\n' && !quoted) {
        line += 1;
        start = true;
      } else if (c === '\n') line += 1;
    }
    rows.forEach((r, i) => (r.line = starts[i] ?? r.line));
  }
  rows = rows.filter((r) => r.fields.some((f) => f !== ''));
  if (rows.length > MAX_ROWS + 1) throw new CsvError(`More than ${MAX_ROWS} rows; use a smaller sample.`);
  const decimalComma = delimiter !== ',';
  const kindOf = (f) => (MISSING.has(f.toLowerCase()) ? null : parseNumber(f, decimalComma) !== undefined ? 'number' : parseDate(f) !== undefined ? 'date' : 'text');
  // A header: a first row with a text field where the second row has a number or a date there.
  const [head, second] = rows;
  const header = second && head.fields.some((f, j) => kindOf(f) === 'text' && ['number', 'date'].includes(kindOf(second.fields[j] ?? '')));
  const width = head.fields.length;
  const body = header ? rows.slice(1) : rows;
  if (body.length === 0) throw new CsvError('No rows with two numbers were found.');
  for (const r of body) {
    if (r.fields.length < Math.min(width, 2)) {
      throw new CsvError(`Line ${r.line} has ${r.fields.length} column${r.fields.length === 1 ? '' : 's'}; at least two are needed (x, y).`);
    }
  }
  const columns = [];
  for (let j = 0; j < width; j += 1) {
    const name = header ? head.fields[j].slice(0, 60) || `column ${j + 1}` : `column ${j + 1}`;
    const firstValue = body.find((r) => kindOf(r.fields[j] ?? '') !== null);
    const kind = firstValue ? kindOf(firstValue.fields[j]) : 'text';
    const values = body.map((r) => {
      const f = r.fields[j] ?? '';
      if (MISSING.has(f.toLowerCase())) return null;
      if (kind === 'text') return f;
      const v = kind === 'number' ? parseNumber(f, decimalComma) : parseDate(f);
      if (v === undefined) throw new CsvError(`Line ${r.line}: '${f.slice(0, 30)}' is not a ${kind === 'number' ? 'number' : 'date'} (column '${name}').`);
      if (Math.abs(v) > MAX_ABS_VALUE) throw new CsvError(`Line ${r.line}: ${f} is beyond ±1e15; rescale the column first.`);
      return v;
    });
    columns.push({ name, kind, values });
  }
  // Rows with another number of fields than the first: extra fields are dropped, missing ones
  // count as missing values; the page says so instead of loading them silently.
  const odd = body.filter((r) => r.fields.length !== width);
  const ragged = odd.length ? { rows: odd.length, line: odd[0].line, fields: odd[0].fields.length, width } : null;
  return { columns, rows: body.length, header, lines: body.map((r) => r.line), ragged };
}

/** A sentence about a table's ragged rows (parseTable's `ragged`), or '' when there are none. */
export function raggedNote(ragged) {
  if (!ragged) return '';
  const { rows, line, fields, width } = ragged;
  const which = rows === 1 ? `Line ${line} has` : `${rows} rows (the first: line ${line}) have`;
  const fieldsText = (n) => `${n} field${n === 1 ? '' : 's'}`;
  return `${which} another number of fields than the first row (${fieldsText(fields)}, not ${width}): extra fields are ignored, missing ones count as missing values. `;
}

/**
 * The default choice of a table's columns: x the first number or date column, y the next
 * number column, and a filter on the first text column whose values repeat (at most half as
 * many distinct values as rows), at its first value (stock prices by symbol, say). `{x, y, filter: {column, value} | null}` (column indices), or null without two
 * usable columns.
 */
export function defaultSelection(table) {
  const cols = table.columns;
  const x = cols.findIndex((c) => c.kind === 'number' || c.kind === 'date');
  const y = cols.findIndex((c, j) => j !== x && c.kind === 'number' && (j > x || !cols.slice(x + 1).some((d) => d.kind === 'number')));
  if (x < 0 || y < 0) return null;
  // A category to filter by: a text column whose values repeat (not one name per row).
  const text = cols.findIndex((c) => {
    if (c.kind !== 'text') return false;
    const values = c.values.filter((v) => v !== null);
    const distinct = new Set(values).size;
    return distinct > 1 && distinct <= values.length / 2;
  });
  const value = text >= 0 ? cols[text].values.find((v) => v !== null) : undefined;
  return { x, y, filter: text >= 0 && value !== undefined ? { column: text, value } : null };
}

/**
 * The points of a table for a choice of columns: `{xs, ys, names: [x, y], xDate, skipped}`
 * (rows with a missing x or y are skipped and counted; rows filtered out are not).
 * Throws CsvError when a chosen column is not usable.
 */
export function selectPoints(table, { x, y, filter }) {
  const [cx, cy] = [table.columns[x], table.columns[y]];
  if (!cx || !['number', 'date'].includes(cx.kind)) throw new CsvError('Choose a column of numbers or dates for x.');
  if (!cy || cy.kind !== 'number') throw new CsvError('Choose a column of numbers for y.');
  const keep = filter ? table.columns[filter.column]?.values.map((v) => v === filter.value) : null;
  const xs = [];
  const ys = [];
  let skipped = 0;
  for (let i = 0; i < table.rows; i += 1) {
    if (keep && !keep[i]) continue;
    if (cx.values[i] === null || cy.values[i] === null) skipped += 1;
    else {
      xs.push(cx.values[i]);
      ys.push(cy.values[i]);
    }
  }
  if (xs.length === 0) throw new CsvError('No rows with both values were found.');
  return { xs, ys, names: [cx.name, cy.name], xDate: cx.kind === 'date', skipped };
}

/**
 * Two columns from text, as the page read them before the column picker: the table's default
 * selection. Returns `{xs, ys, names: [x, y] | null, xDate, skipped}`.
 */
export function parseCsv(text) {
  const table = parseTable(text);
  const selection = defaultSelection(table);
  if (!selection) {
    // Name the first data cell that is text (a first row of text alone reads as a header).
    const allText = table.columns.every((c) => c.kind === 'text');
    if (allText && table.rows === 1) throw new CsvError('No rows with two numbers were found.');
    const start = !table.header && allText ? 1 : 0;
    const bad = table.columns.find((c) => c.kind === 'text' && c.values[start] !== null);
    if (bad && start < table.rows) throw new CsvError(`Line ${table.lines[start]}: '${String(bad.values[start]).slice(0, 30)}' is not a number.`);
    throw new CsvError('No rows with two numbers were found.');
  }
  const points = selectPoints(table, selection);
  return { ...points, names: table.header ? points.names : null };
}

/**
 * `k` row indices spread evenly over the rows sorted by x (all rows when there are at most
 * k), so a subsample covers the whole x range. Deterministic.
 */
export function spreadSubsample(xs, k) {
  const order = xs.map((_, i) => i).sort((a, b) => xs[a] - xs[b] || a - b);
  if (xs.length <= k) return order;
  if (k === 1) return [order[Math.floor(order.length / 2)]];
  return Array.from({ length: k }, (_, j) => order[Math.round((j * (order.length - 1)) / (k - 1))]);
}

/** How the context is chosen when there are more points than a model takes. */
export const CONTEXT_CHOICES = Object.freeze({
  spread: 'spread evenly over x',
  first: 'the first ones',
  recent: 'the most recent (last) ones',
});

/**
 * Indices (increasing) of the at most `k` of `points` ([[x, y], …], in the order added) that
 * form the context: `spread` evenly over x, the `first` k, or the most `recent` k.
 */
export function contextIndices(points, k, choice) {
  const n = points.length;
  if (n <= k) return points.map((_, i) => i);
  if (choice === 'first') return Array.from({ length: k }, (_, i) => i);
  if (choice === 'recent') return Array.from({ length: k }, (_, i) => n - k + i);
  return spreadSubsample(points.map((p) => p[0]), k).sort((a, b) => a - b);
}

/**
 * The context statistics `{mx, sx, my, sy}` (mean and population standard deviation of x and
 * of y; a deviation below 1e-12 of the magnitude, or of fewer than two points, counts as 1).
 */
export function contextStats(points) {
  const n = points.length;
  const stat = (j) => {
    if (n === 0) return [0, 1];
    const mean = points.reduce((s, p) => s + p[j], 0) / n;
    const sd = Math.sqrt(points.reduce((s, p) => s + (p[j] - mean) ** 2, 0) / n);
    return [mean, n >= 2 && sd > 1e-12 * Math.max(1, Math.abs(mean)) ? sd : 1];
  };
  const [mx, sx] = stat(0);
  const [my, sy] = stat(1);
  return { mx, sx, my, sy };
}

/** The identity transform (points already in the model's units). */
export const IDENTITY = Object.freeze({ mx: 0, sx: 1, my: 0, sy: 1 });

/** Display x → model x. */
export const toModelX = (t, x) => (x - t.mx) / t.sx;
/** Display y → model y. */
export const toModelY = (t, y) => (y - t.my) / t.sy;
/** Model y → display y (means, quantiles and bar borders alike). */
export const fromModelY = (t, y) => y * t.sy + t.my;
