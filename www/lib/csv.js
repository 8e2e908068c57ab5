// Bring your own data: two numeric columns from pasted or dropped text, standardised with the
// context's own statistics (as TabPFN does: Hollmann et al., ICLR 2023) and mapped back.

/** A CSV problem the reader can fix; its message says where. */
export class CsvError extends Error {}

/** Most rows read from one paste or file. */
export const MAX_ROWS = 100000;
/** Largest |value| accepted: squares in the standardisation must stay finite in doubles. */
export const MAX_ABS_VALUE = 1e15;

const MISSING = new Set(['', 'na', 'nan', 'null', 'none', '-', '?']);

function splitter(line) {
  if (line.includes('\t')) return (l) => l.split('\t');
  if (line.includes(';')) return (l) => l.split(';');
  if (line.includes(',')) return (l) => l.split(',');
  return (l) => l.trim().split(/\s+/);
}

function unquote(field) {
  const f = field.trim();
  return f.length >= 2 && f.startsWith('"') && f.endsWith('"') ? f.slice(1, -1).trim() : f;
}

/** A number from a field, accepting a decimal comma; null if it is not one. */
function parseNumber(field, decimalComma) {
  const f = decimalComma ? field.replace(',', '.') : field;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(f)) return undefined;
  const v = Number(f);
  return Number.isFinite(v) ? v : undefined;
}

/**
 * Parses text with at least two columns (comma, semicolon, tab or space separated; an optional
 * header line). The first two columns are x and y. Rows with a missing value (empty, NA, null)
 * are skipped and counted. Returns `{xs, ys, names: [x, y] | null, skipped}`.
 * Throws CsvError naming the line of the first malformed row.
 */
export function parseCsv(text) {
  const lines = String(text ?? '').split(/\r\n|\n|\r/);
  const first = lines.findIndex((l) => l.trim() !== '');
  if (first < 0) throw new CsvError('The data is empty: paste two columns of numbers (x, y).');
  const split = splitter(lines[first]);
  const decimalComma = !lines[first].includes(',') || lines[first].includes(';') || lines[first].includes('\t');
  const xs = [];
  const ys = [];
  let names = null;
  let skipped = 0;
  for (let i = first; i < lines.length; i += 1) {
    if (lines[i].trim() === '') continue;
    const fields = split(lines[i]).map(unquote);
    if (fields.length < 2) {
      throw new CsvError(`Line ${i + 1} has ${fields.length} column; two are needed (x, y).`);
    }
    const [fx, fy] = fields;
    const x = parseNumber(fx, decimalComma);
    const y = parseNumber(fy, decimalComma);
    if (x !== undefined && y !== undefined) {
      if (Math.abs(x) > MAX_ABS_VALUE || Math.abs(y) > MAX_ABS_VALUE) {
        throw new CsvError(`Line ${i + 1}: ${Math.abs(x) > MAX_ABS_VALUE ? fx : fy} is beyond ±1e15; rescale the column first.`);
      }
      xs.push(x);
      ys.push(y);
    } else if (i === first) {
      names = [fx.slice(0, 60), fy.slice(0, 60)];
    } else if (MISSING.has(fx.toLowerCase()) || MISSING.has(fy.toLowerCase())) {
      skipped += 1;
    } else {
      const bad = x === undefined ? fx : fy;
      throw new CsvError(`Line ${i + 1}: '${bad.slice(0, 30)}' is not a number.`);
    }
    if (xs.length > MAX_ROWS) throw new CsvError(`More than ${MAX_ROWS} rows; use a smaller sample.`);
  }
  if (xs.length === 0) throw new CsvError('No rows with two numbers were found.');
  return { xs, ys, names, skipped };
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
