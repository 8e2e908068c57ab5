// Unit tests of the page's pure modules (URL state, CSV, standardisation) under Node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHash, encodeHash, defaultState, LIMITS } from '../../www/lib/state.js';
import { parseCsv, parseTable, parseDate, formatDate, defaultSelection, selectPoints, CsvError, spreadSubsample, contextStats, toModelX, toModelY, fromModelY, raggedNote } from '../../www/lib/csv.js';

test('a view survives the round trip through the URL hash', () => {
  const state = {
    ...defaultState(),
    model: 'linear+sinusoid',
    points: [[-1.25, 0.5], [2, -3.14159265]],
    heat: true,
    ls: false,
    std: true,
    xLabel: 'day of year',
    yLabel: 'max temperature (°C)',
    source: 'Seattle',
    truth: { family: 'sinusoid(omega_lo=1,omega_hi=1)', seed: 4294967295, sigma: 0.105 },
  };
  const { state: back, warnings } = parseHash(`#${encodeHash(state)}`, ['linear+sinusoid']);
  assert.deepEqual(warnings, []);
  assert.deepEqual(back, { ...state, points: [[-1.25, 0.5], [2, -3.141593]] });
});

test('the default view encodes to an empty hash', () => {
  assert.equal(encodeHash(defaultState()), '');
  assert.deepEqual(parseHash('', []), { state: defaultState(), warnings: [] });
});

test('hostile hashes fall back to defaults with warnings and never throw', () => {
  const cases = [
    ['#pts=1,2;NaN,3;1e999,2;4,5,6;<script>,1&model=../../etc', 1],
    ['#%E0%A4%A&bands=yes&heat=1', 2],
    ['#truth=linear);alert(1&seed=1&sigma=0', 1],
    ['#truth=linear&seed=-1&sigma=0', 1],
    ['#truth=linear&seed=1&sigma=1e400', 1],
    ['#' + 'x'.repeat(LIMITS.maxHash + 10), 2],
    ['#constructor=1&__proto__=2', 2],
  ];
  for (const [hash, minWarnings] of cases) {
    const { state, warnings } = parseHash(hash, ['linear']);
    assert.ok(warnings.length >= minWarnings, `${hash.slice(0, 40)}: ${warnings}`);
    assert.equal(state.model, '');
    assert.equal(state.truth, null);
    for (const [x, y] of state.points) assert.ok(Number.isFinite(x) && Number.isFinite(y));
  }
  const { state } = parseHash('#pts=1,2;NaN,3;4,5', []);
  assert.deepEqual(state.points, [[1, 2], [4, 5]]);
  assert.equal(parseHash('#heat=1', []).state.heat, true);
  const many = Array.from({ length: LIMITS.maxPoints + 5 }, (_, i) => `${i},0`).join(';');
  assert.equal(parseHash(`#pts=${many}`, []).state.points.length, LIMITS.maxPoints);
  assert.equal(parseHash('#xLabel=%3Cb%3Ehi%3C%2Fb%3E', []).state.xLabel, 'bhi/b');
});

test('CSV with a header, separators, decimal commas and missing values', () => {
  const a = parseCsv('x,y\n1,2\n 3 , 4.5 \n\n"5","-6e-1"\n');
  assert.deepEqual(a, { xs: [1, 3, 5], ys: [2, 4.5, -0.6], names: ['x', 'y'], xDate: false, skipped: 0 });
  const b = parseCsv('1;2,5\r\n3;NA\r\n4;1,25');
  assert.deepEqual(b, { xs: [1, 4], ys: [2.5, 1.25], names: null, xDate: false, skipped: 1 });
  const c = parseCsv('a\tb\tc\n0.5\t1\t9\n');
  assert.deepEqual(c, { xs: [0.5], ys: [1], names: ['a', 'b'], xDate: false, skipped: 0 });
  const d = parseCsv('1 2\n3   4');
  assert.deepEqual(d.xs, [1, 3]);
});

test('malformed CSV throws CsvError naming the line', () => {
  assert.throws(() => parseCsv(''), CsvError);
  assert.throws(() => parseCsv('x,y\n1,2\n3,abc\n'), (e) => e instanceof CsvError && /Line 3/.test(e.message) && /abc/.test(e.message));
  assert.throws(() => parseCsv('1,2\n3\n'), (e) => e instanceof CsvError && /Line 2/.test(e.message));
  assert.throws(() => parseCsv('x,y\nfoo,bar\n'), (e) => e instanceof CsvError && /Line 2/.test(e.message));
  assert.throws(() => parseCsv('x,y\n'), (e) => e instanceof CsvError && /No rows/.test(e.message));
  // Values whose squares overflow in the standardisation are refused, naming line and value.
  assert.throws(() => parseCsv('1,2\n1e200,3\n'), (e) => e instanceof CsvError && /Line 2/.test(e.message) && /1e200/.test(e.message));
  assert.deepEqual(parseCsv('1e15,-1e15\n').xs, [1e15]);
});

test('subsample spreads evenly over x and keeps everything when small', () => {
  const xs = [9, 0, 5, 1, 8, 2, 7, 3, 6, 4];
  assert.deepEqual(spreadSubsample(xs, 3).map((i) => xs[i]), [0, 5, 9]);
  assert.deepEqual(spreadSubsample(xs, 20).map((i) => xs[i]), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('standardisation uses the context mean and population standard deviation', () => {
  const pts = [[1, 10], [3, 14], [5, 18]];
  const t = contextStats(pts);
  // x: mean 3, sd sqrt(8/3); y: mean 14, sd sqrt(32/3).
  assert.ok(Math.abs(t.mx - 3) < 1e-12 && Math.abs(t.sx - Math.sqrt(8 / 3)) < 1e-12);
  assert.ok(Math.abs(t.my - 14) < 1e-12 && Math.abs(t.sy - Math.sqrt(32 / 3)) < 1e-12);
  const zx = pts.map((p) => toModelX(t, p[0]));
  assert.ok(Math.abs(zx.reduce((a, b) => a + b, 0)) < 1e-12);
  assert.ok(Math.abs(zx.reduce((a, b) => a + b * b, 0) / 3 - 1) < 1e-12);
  assert.ok(Math.abs(fromModelY(t, toModelY(t, 17.5)) - 17.5) < 1e-12);
  // Degenerate contexts keep unit scale.
  assert.deepEqual(contextStats([[2, 7]]), { mx: 2, sx: 1, my: 7, sy: 1 });
  assert.deepEqual(contextStats([]), { mx: 0, sx: 1, my: 0, sy: 1 });
});

test('fit against the true curve: RMSE and the share of the curve inside the 90% band, by hand', async () => {
  const { fitToTruth, interpolate } = await import('../../www/lib/fit.js');
  // True curve y = 2x on [0, 2], sampled every 0.5.
  const truth = { xs: [0, 0.5, 1, 1.5, 2], ys: [0, 1, 2, 3, 4] };
  assert.equal(interpolate(truth.xs, truth.ys, 0.75), 1.5);
  assert.equal(interpolate(truth.xs, truth.ys, 2), 4);
  assert.equal(interpolate(truth.xs, truth.ys, 2.1), null);
  // Queries 0.25, 1, 1.75 and 3 (off the curve: not scored); true values 0.5, 2, 3.5.
  const q = 4;
  const summary = {
    xs: [0.25, 1, 1.75, 3],
    mean: [0.5, 3, 2.5, 99],
    // level-major [5·Q]: 5%, 25%, 50%, 75%, 95%
    quantiles: Float64Array.from([
      0, 2.5, 2, 0, // 5%
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // 25/50/75% unused
      1, 3.5, 3, 0, // 95%
    ]),
  };
  assert.equal(summary.quantiles.length, 5 * q);
  const fit = fitToTruth(summary, truth);
  assert.equal(fit.n, 3);
  assert.ok(Math.abs(fit.rmse - Math.sqrt((0 + 1 + 1) / 3)) < 1e-12);
  // 0.5 ∈ [0, 1] yes; 2 ∈ [2.5, 3.5] no; 3.5 ∈ [2, 3] no.
  assert.ok(Math.abs(fit.coverage - 1 / 3) < 1e-12);
  assert.equal(fitToTruth({ ...summary, quantiles: null }, truth).coverage, null);
  assert.equal(fitToTruth({ xs: [5], mean: [0], quantiles: null }, truth), null);
});

test('leave-one-out fit and the confidently-wrong rule, by hand', async () => {
  const { leaveOneOutFit, confidentlyWrong } = await import('../../www/lib/fit.js');
  const ys = [1, 2, 3];
  const loo = { mean: [1, 1, 5], quantiles: Float64Array.from([0, 0, 0, ...new Array(9).fill(0), 2, 1.5, 4]) };
  const fit = leaveOneOutFit(loo, ys);
  assert.ok(Math.abs(fit.rmse - Math.sqrt((0 + 1 + 4) / 3)) < 1e-12);
  assert.deepEqual([fit.inside, fit.n], [2, 3]); // 1 ∈ [0, 2], 2 ∉ [0, 1.5], 3 ∈ [0, 4]
  assert.equal(leaveOneOutFit({ mean: [1] }, ys), null);
  // n = 40: the threshold is 0.9 − 3·sqrt(0.09/40) = 0.7577.
  assert.equal(confidentlyWrong(0.75, 40), true);
  assert.equal(confidentlyWrong(0.76, 40), false);
  assert.equal(confidentlyWrong(0.1, 7), false); // too few points to say
  assert.equal(confidentlyWrong(null, 40), false);
});

test('dates and date-times become days since 1970-01-01 UTC, by hand', () => {
  assert.equal(parseDate('1970-01-02'), 1);
  assert.equal(parseDate('2000-01-01'), 10957); // 30 years with 7 leap days: 30·365 + 7
  assert.equal(parseDate('2024-03-01T12:00Z'), 19783.5); // 2024-03-01 is day 19783
  assert.equal(parseDate('2024-03-01 12:00'), 19783.5);
  assert.equal(parseDate('2024-03-01T14:00+02:00'), 19783.5);
  assert.equal(parseDate('2024/3/1'), 19783);
  assert.equal(parseDate('Jan 1 2000'), 10957);
  assert.equal(parseDate('1 March 2024'), 19783);
  assert.equal(parseDate('2023-02-30'), undefined);
  assert.equal(parseDate('12.5'), undefined);
  assert.equal(formatDate(19783), '2024-03-01');
  assert.equal(formatDate(19783.5), '2024-03-01 12:00');
});

test('real tables: quoted fields with separators, several columns, a category filter, dates', () => {
  // Quoted thousands with a comma inside, as spreadsheets export them.
  const quoted = parseCsv('year,"population"\n2000,"1,437"\n2001,"1,502"\n');
  assert.deepEqual(quoted.xs, [2000, 2001]);
  assert.equal(quoted.names[1], 'population');
  // Not numbers in a comma-separated file: "1,437" is text there, so it names the cell.
  assert.throws(() => parseCsv('x,y\n1,2\n2,"1,5"\n'), (e) => e instanceof CsvError && /Line 3/.test(e.message));
  // vega-datasets stocks.csv: symbol, date ("Jan 1 2000"), price.
  const stocks = parseTable('symbol,date,price\nMSFT,Jan 1 2000,39.81\nMSFT,Feb 1 2000,36.35\nAMZN,Jan 1 2000,64.56\nAMZN,Feb 1 2000,NA\n');
  assert.deepEqual(stocks.columns.map((c) => c.kind), ['text', 'date', 'number']);
  const choice = defaultSelection(stocks);
  assert.deepEqual(choice, { x: 1, y: 2, filter: { column: 0, value: 'MSFT' } });
  assert.deepEqual(selectPoints(stocks, choice), { xs: [10957, 10988], ys: [39.81, 36.35], names: ['date', 'price'], xDate: true, skipped: 0 });
  const amzn = selectPoints(stocks, { ...choice, filter: { column: 0, value: 'AMZN' } });
  assert.deepEqual([amzn.xs, amzn.skipped], [[10957], 1]);
  assert.throws(() => selectPoints(stocks, { x: 0, y: 2, filter: null }), CsvError);
  // A line break inside quotes: the next row's line number is still right.
  assert.throws(() => parseCsv('note,x,y\n"two\nlines",1,2\nok,3,abc\n'), (e) => /Line 4/.test(e.message));
});

test('links round points to a millionth of their own range: timestamps keep their seconds', async () => {
  const { roundPoints } = await import('../../www/lib/state.js');
  // x: Unix seconds an hour apart (range 3600: 3 decimals); y: range 1 (6 decimals).
  assert.deepEqual(roundPoints([[1700000000.12345, 0.1234567], [1700003600.5, 1.1234567]]), [[1700000000.123, 0.123457], [1700003600.5, 1.123457]]);
  // Six significant digits of the values would have collapsed both x to 1.7e9.
  assert.deepEqual(roundPoints([[5, 5]]), [[5, 5]]);
  assert.deepEqual(roundPoints([]), []);
  // Tiny values keep their digits (a millionth of their own range), however small.
  assert.deepEqual(roundPoints([[1e-300, 2.5e-300], [3e-300, 1.0000004e-300]]), [[1e-300, 2.5e-300], [3e-300, 1e-300]]);
  assert.deepEqual(roundPoints([[0.5, 1e-300], [1, 2]]), [[0.5, 0], [1, 2]]);
});

test('every field of the declarative state table survives a link, and bad values fall back with a warning', async () => {
  const { FIELDS } = await import('../../www/lib/state.js');
  const state = { ...defaultState(), model: 'm', bands: false, covering: false, xdate: true, use: 'recent', family: 'sinusoid(omega_lo=0.5,omega_hi=2.5)', k: 25, alpha: 0.3, convexA: 'linear(bias)', convexB: 'relu_net(hidden=100,bias)', omega: 5, vary: 'omega', readonly: true, compare: ['m', 'n'] };
  const { state: back, warnings } = parseHash(`#${encodeHash(state)}`, ['m', 'n']);
  assert.deepEqual(warnings, []);
  assert.deepEqual(back, state);
  assert.ok(FIELDS.every((f) => Object.hasOwn(defaultState(), f.field)));
  const bad = parseHash('#alpha=2&k=0&omega=abc&use=all&family=rm%20-rf&vary=beta&ro=2', ['m']);
  assert.equal(bad.warnings.length, 7);
  assert.deepEqual([bad.state.alpha, bad.state.k, bad.state.omega, bad.state.use, bad.state.family, bad.state.vary, bad.state.readonly], [0.5, 10, 1.5, 'spread', '', 'none', false]);
});

test('the worker channel is latest-wins: one request in flight, only the newest waits, stale results are dropped', async () => {
  const { Channel } = await import('../../www/lib/channel.js');
  const posted = [];
  const failures = [];
  const channel = new Channel('model', (text) => failures.push(text), { postMessage: (m) => posted.push(m) });
  const req = (id) => ({ id, message: { xs: [id] } });
  channel.request(req(1));
  channel.request(req(2));
  channel.request(req(3)); // replaces 2, which is never sent
  assert.deepEqual(posted.map((m) => m.id), [1]);
  assert.equal(posted[0].type, 'predict');
  assert.equal(channel.idle, false);
  assert.equal(channel.finish(2), null, 'a result for a request not in flight is stale');
  assert.equal(channel.finish(1).id, 1);
  assert.deepEqual(posted.map((m) => m.id), [1, 3]);
  assert.equal(channel.finish(3).id, 3);
  assert.equal(channel.idle, true);
  channel.worker.onerror({ message: 'boom' });
  assert.deepEqual(failures, ['The model worker failed: boom.']);
});

test('a text column with one value per row (names) is not taken as a category filter', () => {
  const table = parseTable('name,x,y\n"Smith, J",1,2\n"Doe, A",2,3.5\n"O""Neil, B",3,1\n"X, Y",4,5\n');
  assert.deepEqual(table.columns[0].values, ['Smith, J', 'Doe, A', 'O"Neil, B', 'X, Y']);
  assert.deepEqual(defaultSelection(table), { x: 1, y: 2, filter: null });
});

test('rows with another number of fields than the first are counted and named, not loaded silently', () => {
  const table = parseTable('x,y,z\n1,2,3\n2,4\n3,6,9,12\n4,8,12\n');
  assert.deepEqual(table.ragged, { rows: 2, line: 3, fields: 2, width: 3 });
  // The short row's missing field is a missing value; the long row's extra field is dropped.
  assert.deepEqual(table.columns[2].values, [3, null, 9, 12]);
  assert.equal(table.columns.length, 3);
  assert.match(raggedNote(table.ragged), /^2 rows \(the first: line 3\) have another number of fields than the first row \(2 fields, not 3\)/);
  assert.equal(parseTable('x,y\n1,2\n2,4\n').ragged, null);
  assert.equal(raggedNote(null), '');
});
