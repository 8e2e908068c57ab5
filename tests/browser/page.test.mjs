// Unit tests (Node) of the page modules app.js wires together: the page's features, the
// view-state controls derived from the state table, the message bar's bookkeeping, worker calls,
// the model status texts, the context and its display mapping, the plot's domain and warnings,
// the fit table's rows and sentence, and the out-of-distribution family texts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { root } from './harness.mjs';
import { FEATURES, parseFeatures, pageConfig, hostNotifier } from '../../www/lib/page.js';
import { controlledFields } from '../../www/lib/controls.js';
import { Messages } from '../../www/lib/messages.js';
import { Channel } from '../../www/lib/channel.js';
import { formatBytes, currentEntry, describeModel, backendLabel } from '../../www/lib/models.js';
import { maxContext, usedPoints, contextKey, toDisplay } from '../../www/lib/predict.js';
import { fitDomain, rangeWarnings, beliefAnnouncement } from '../../www/lib/render.js';
import { fitRows, fitNote } from '../../www/lib/fit-table.js';
import { convexChoices, bandText } from '../../www/lib/ood-controls.js';
import { noiseSigma } from '../../www/lib/truth.js';
import { convexFamily, sinusoidAt, convexInside } from '../../www/lib/families.js';
import { defaultState } from '../../www/lib/state.js';

const html = (name) => readFileSync(`${root}www/${name}`, 'utf8');
/** The `data-features` of a page's <body>. */
const featuresOf = (name) => /<body[^>]*\sdata-features="([^"]*)"/.exec(html(name))[1];

test("each page's features are known ones, and the embed has none of the full page's controls", () => {
  const full = pageConfig({ features: featuresOf('index.html') });
  const embed = pageConfig({ features: featuresOf('embed.html') });
  assert.deepEqual([...full.features].sort(), ['backend-choice', 'compare-picker', 'context', 'copy-link', 'data-import', 'experiments', 'fit-table', 'sampling', 'show']);
  assert.deepEqual([...embed.features].sort(), ['host-ready', 'open-full', 'shared-workers', 'vary']);
  assert.equal(Object.keys(FEATURES).length, 13);
  assert.equal(embed.has('fit-table'), false);
  assert.throws(() => embed.has('fit_table'), /Unknown page feature 'fit_table'/);
  assert.throws(() => parseFeatures('show sampels'), /'sampels'/);
  assert.deepEqual([...parseFeatures('  show\n  sampling ')], ['show', 'sampling']);
  assert.equal(parseFeatures(undefined).size, 0);
});

test('only an embedded page tells its host, and only once', () => {
  const posted = [];
  const parent = { postMessage: (m, origin) => posted.push([m, origin]) };
  const notify = hostNotifier({ parent });
  notify();
  notify();
  assert.deepEqual(posted, [[{ type: 'incontext-ready' }, '*']]);
  const top = {};
  top.parent = top;
  top.postMessage = () => assert.fail('a top-level page has no host');
  hostNotifier(top)();
});

test('the controls of each page follow from the state table, and every one exists on its page', () => {
  const full = controlledFields(pageConfig({ features: featuresOf('index.html') }));
  assert.deepEqual(full.map((f) => f.field), ['bands', 'heat', 'ls', 'bayes', 'covering', 'std', 'use', 'family', 'k', 'alpha', 'convexA', 'convexB', 'omega']);
  for (const f of full) assert.match(html('index.html'), new RegExp(`id="${f.control.id}"`), f.field);
  assert.deepEqual(controlledFields(pageConfig({ features: featuresOf('embed.html') })), []);
  const showOnly = controlledFields(pageConfig({ features: 'show' }));
  assert.deepEqual(showOnly.map((f) => f.control.id), ['show-bands', 'show-heat', 'show-ls', 'show-bayes', 'show-covering', 'show-std']);
  // Every feature a control names is a page feature.
  assert.ok(full.every((f) => Object.hasOwn(FEATURES, f.control.feature)));
});

test('a message is kept per key, and setting the same text again changes nothing', () => {
  const bar = new Messages(null);
  assert.equal(bar.show('model', 'Could not load the model.'), true);
  assert.equal(bar.show('model', 'Could not load the model.'), false, 'unchanged: not announced again');
  assert.equal(bar.show('model', 'Could not load the model.', 'warning'), true, 'another kind is a change');
  assert.equal(bar.show('range', 'Points beyond pretraining.', 'warning'), true);
  assert.deepEqual([...bar.entries.keys()], ['model', 'range']);
  assert.equal(bar.entries.get('model').kind, 'warning');
  assert.equal(bar.show('model', ''), true);
  assert.equal(bar.show('model', ''), false, 'clearing an absent message changes nothing');
  assert.equal(bar.has('model'), false);
  assert.equal(bar.has('range'), true);
});

test('a worker call is answered by its own promise; unknown ids are refused', async () => {
  const posted = [];
  const channel = new Channel('model', () => {}, { postMessage: (m) => posted.push(m) });
  const a = channel.call({ type: 'sample', family: 'linear', seed: 1 });
  const b = channel.call({ type: 'sample', family: 'sinusoid', seed: 2 });
  assert.deepEqual(posted, [{ type: 'sample', family: 'linear', seed: 1, id: 1 }, { type: 'sample', family: 'sinusoid', seed: 2, id: 2 }]);
  assert.equal(channel.answer(2, { xs: [0.5] }), true);
  assert.equal(channel.fail(1, 'bad family'), true);
  assert.deepEqual(await b, { xs: [0.5] });
  await assert.rejects(a, { message: 'bad family' });
  assert.equal(channel.answer(2, {}), false, 'answered already');
  assert.equal(channel.fail(7, 'x'), false);
  assert.equal(channel.idle, true, 'calls are not predictions');
});

test('the model status: sizes, the entry a view asks for, the loaded model, the backend', () => {
  assert.equal(formatBytes(481234), '481 kB');
  assert.equal(formatBytes(1_530_000), '1.5 MB');
  assert.equal(formatBytes(undefined), '?');
  const manifest = { default: 'b', models: [{ id: 'a' }, { id: 'b' }] };
  assert.equal(currentEntry(manifest, 'a').id, 'a');
  assert.equal(currentEntry(manifest, 'gone').id, 'b');
  assert.equal(currentEntry({ models: [{ id: 'a' }] }, '').id, 'a');
  assert.equal(currentEntry({ models: [] }, 'a'), null);
  assert.equal(currentEntry(null, 'a'), null);
  const info = { architecture: { encoding: 'prefix', n_layer: 4, n_embd: 64, n_head: 4 }, trainingSteps: 60000 };
  assert.equal(describeModel({ id: 'linear', info, loadMs: 12.6, fromCache: true }), 'linear: 4 layers × 64 wide, 4 heads, prefix encoding, 60000 steps; loaded in 13 ms from the offline cache');
  assert.equal(backendLabel({ backend: 'wasm-simd', adapter: null }), 'wasm-simd');
  assert.equal(backendLabel({ backend: 'webgpu', adapter: { name: 'NVIDIA H200' } }), 'webgpu (NVIDIA H200)');
  assert.equal(backendLabel({ backend: 'webgpu', adapter: { name: '', software: true, deviceType: 'cpu' } }), 'webgpu (software)');
});

test('the context: at most what the model takes, keyed for leave-one-out, mapped back to display units', () => {
  assert.equal(maxContext(null), 60);
  assert.equal(maxContext({ architecture: { max_points: 41 } }), 40);
  const state = { ...defaultState(), points: [[0, 0], [1, 1], [2, 4], [3, 9]], use: 'recent' };
  assert.deepEqual(usedPoints(state, { architecture: { max_points: 3 } }), [[2, 4], [3, 9]]);
  assert.deepEqual(usedPoints({ ...state, use: 'first' }, { architecture: { max_points: 3 } }), [[0, 0], [1, 1]]);
  assert.equal(contextKey({ std: true }, [[2, 4]]), '[true,[[2,4]]]');
  // Standardised with mean 5 and deviation 2: model y 1 is display y 7.
  const t = { mx: 0, sx: 1, my: 5, sy: 2 };
  const shown = toDisplay({ mean: [1, -1], quantiles: [0, 0.5], borders: null, familyProbs: [1] }, t, [10, 20]);
  assert.deepEqual(shown, { mean: [7, 3], quantiles: [5, 6], borders: null, familyProbs: [1], xs: [10, 20] });
  assert.equal(toDisplay(null, t, []), null);
});

test("the plot's domain covers the pretraining range, or standardised points with a margin", () => {
  assert.deepEqual(fitDomain([], false), { x0: -3, x1: 3, y0: -3, y1: 3 });
  assert.deepEqual(fitDomain([[4, 1], [-1, -5]], false), { x0: -4.2, x1: 4.2, y0: -5.5, y1: 5.5 });
  const d = fitDomain([[100, 10], [200, 20]], true);
  assert.deepEqual([d.x0, d.x1, d.y0, d.y1].map((v) => Number(v.toFixed(6))), [92, 208, 7, 23]);
  // One point: its own magnitude is the span.
  assert.deepEqual(fitDomain([[50, 2]], true), { x0: 46, x1: 54, y0: 1.4, y1: 2.6 });
});

test('warnings name the points beyond what the model takes and beyond its pretraining', () => {
  const info = { architecture: { max_points: 3 }, borders: [-2, 0, 2] };
  const state = { ...defaultState(), points: [[0, 0], [1, 1], [2, 2]] };
  assert.equal(rangeWarnings({ ...state, points: [[0, 0]] }, info, { xs: [0], ys: [0] }), '');
  assert.equal(
    rangeWarnings(state, info, { xs: [0, 4], ys: [0, 2.5] }),
    'This model takes at most 2 context points: 2 of 3 are used (spread evenly over x; choose under the plot), the others are drawn hollow. ' +
      '1 point lies outside x ∈ [−3, 3]: pretraining inputs are x ~ N(0, 1), so the model has rarely seen such inputs. ' +
      '1 point has y outside [-2.00, 2.00], the range of y seen in pretraining.',
  );
  assert.match(rangeWarnings({ ...state, std: true }, null, { xs: [-4, 5], ys: [0, 0] }), /^2 points lie outside x ∈ \[−3, 3\] after standardising/);
  assert.equal(beliefAnnouncement(['linear', 'sinusoid'], [0.38, 0.62]), 'Model belief: sinusoid 60%, linear 40%.');
});

test('the fit table: shown curves against the truth, leave-one-out for data, and when to say the model is confidently wrong', () => {
  const truth = { xs: [0, 1, 2], ys: [0, 1, 2] };
  const curve = (mean, lo, hi) => ({ xs: [0, 1, 2], mean, quantiles: [...lo, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...hi] });
  const view = { model: curve([0, 1, 5], [-1, 0, 1], [1, 2, 3]), bayes: curve([0, 1, 2], [-1, 0, 1], [1, 2, 3]), ls: null };
  const state = { ...defaultState(), bayes: false };
  const shown = fitRows({ view, truth, state, loo: {}, key: '' });
  assert.equal(shown.mode, 'truth');
  assert.deepEqual(Object.keys(shown.rows), ['model'], 'a hidden Bayes curve gets no row');
  assert.deepEqual(shown.rows.model, { rmse: Math.sqrt(3), coverage: 1, n: 3 });
  const loo = { model: { key: 'k', ys: [1, 2], summary: { mean: [1, 3], quantiles: null } }, bayes: { key: 'old', ys: [], summary: null } };
  assert.deepEqual(fitRows({ view, truth: null, state, loo, key: 'k' }), { mode: 'loo', rows: { model: { rmse: Math.sqrt(0.5), coverage: null, inside: 0, n: 2 } } });
  assert.equal(fitRows({ view, truth: null, state, loo, key: 'other' }), null, 'fits of another context are not shown');
  assert.deepEqual(fitNote('truth', { model: { rmse: 2, coverage: 0.3 }, covering: { rmse: 0.5 } }), {
    text: 'The model is confidently wrong here: its 90% band holds only 30% of the true curve. A Bayesian whose prior covers this function errs 4.0× less ' +
      "(RMSE 0.50 against 2.0): the points held the information; the model's pretraining ruled it out.",
    kind: 'warning',
  });
  assert.equal(fitNote('truth', { model: { rmse: 2, coverage: 0.9 }, covering: { rmse: 0.5 } }).kind, 'note');
  assert.deepEqual(fitNote('truth', { model: { rmse: 1, coverage: 0.9 }, covering: { rmse: 0.5 } }), { text: '', kind: 'warning' });
  assert.match(fitNote('loo', { model: { rmse: 1, coverage: 0.5, inside: 5, n: 10 } }).text, /only 5 of 10 points lie inside/);
  assert.equal(fitNote('loo', { model: { rmse: 1, coverage: 0.5, inside: 2, n: 4 } }).text, '', 'too few points to tell');
});

test('the out-of-distribution draws: family texts and inside/outside pretraining, as the Experiments view uses them', () => {
  const families = [
    { name: 'linear', spec: 'linear(bias)', weight: 0.5 },
    { name: 'sinusoid', spec: 'sinusoid(omega_lo=0.5,omega_hi=2.5)', weight: 0.5 },
  ];
  assert.equal(convexFamily(0.3, 'linear(bias)', 'relu_net(hidden=100,bias)'), 'convex(alpha=0.3,linear(bias),relu_net(hidden=100,bias))');
  assert.equal(sinusoidAt(4), 'sinusoid(omega_lo=4,omega_hi=4)');
  assert.equal(convexInside(families, 1, 'linear(bias)', 'relu_net(hidden=100,bias)'), true);
  assert.equal(convexInside(families, 0, 'linear(bias)', 'relu_net(hidden=100,bias)'), false, 'f₂ is not a pretraining family');
  assert.equal(convexInside(families, 0.5, 'linear(bias)', 'sinusoid(omega_lo=0.5,omega_hi=2.5)'), false);
  assert.deepEqual(convexChoices(families).map((c) => c.text), [
    'linear(bias)',
    'sinusoid(omega_lo=0.5,omega_hi=2.5)',
    'relu_net(hidden=100,bias) (not in pretraining)',
    'decision_tree(depth=3,gaussian_thresholds) (not in pretraining)',
  ]);
  assert.equal(bandText(families), 'trained band: [0.5, 2.5]');
  assert.equal(bandText(families.slice(0, 1)), 'this mixture has no sinusoids');
  assert.equal(noiseSigma({ noise: [0.01, 0.2] }, { noise: [0, 1] }).toFixed(3), '0.105', "the model's own noise first");
  assert.equal(noiseSigma(null, { noise: [0, 1] }), 0.5);
  assert.equal(noiseSigma(null, null), 0);
});
