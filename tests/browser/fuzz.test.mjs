// Fuzzing the wasm API under Node (no browser): every public function is called with random
// and adversarial inputs, seeded. Each call must either return or throw a JavaScript `Error`
// carrying a message (the crate's error), never trap (a Rust panic or a stack overflow is a
// `WebAssembly.RuntimeError` or a `RangeError`, after which the module is poisoned), and the
// module must keep answering ordinary calls correctly afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { root, manifest } from './harness.mjs';

const pkg = await import(`${root}www/pkg/incontext.js`);
pkg.initSync({ module: readFileSync(`${root}www/pkg/incontext_bg.wasm`) });
const { Model, Reference, coveringPrior, leastSquares, nearestNeighbours, sampleFunction } = pkg;

/** Mulberry32: a small seeded generator, so every failure is reproducible. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = rng(20261203);
const pick = (items) => items[Math.floor(random() * items.length)];
const SPECIAL = [NaN, Infinity, -Infinity, 0, -0, 1e308, -1e308, 5e-324, 1e6, 1e7, -1, 0.5, 2 ** 32, 2 ** 53];
const number = () => (random() < 0.4 ? pick(SPECIAL) : (random() - 0.5) * 10 ** Math.floor(random() * 12));
const array = (n) => Float64Array.from({ length: n }, number);
const length = () => pick([0, 1, 2, 3, 40, 41, 100, 5000]);
const TEXTS = [
  '',
  '(',
  ')',
  'linear(',
  'convex(alpha=0.5,linear)',
  'convex(alpha=NaN,linear,sinusoid)',
  'convex(alpha=2,linear,sinusoid)',
  'sinusoid(omega_lo=3,omega_hi=1)',
  'sinusoid(omega_lo=-1,omega_hi=inf)',
  'relu_net(hidden=100000000)',
  'decision_tree(depth=60)',
  'sparse_linear(s=0)',
  'linear:NaN',
  'linear:-1,sinusoid:1',
  'linear:0',
  ',,,',
  'linear(bias):1e309',
  'x'.repeat(100000),
  `${'convex(alpha=0.5,linear,'.repeat(20000)}linear${')'.repeat(20000)}`,
  `${'('.repeat(50000)}`,
  'convex(alpha=0.5,linear,relu_net(hidden=4))',
  '\u0000linear\u202e',
];
const text = () => (random() < 0.7 ? pick(TEXTS) : String.fromCharCode(...Array.from({ length: Math.floor(random() * 40) }, () => Math.floor(random() * 0x3000))));

/** Runs `fn`; a thrown value must be an Error with a message, never a trap. */
function survives(what, fn) {
  try {
    fn();
  } catch (e) {
    assert.ok(!(e instanceof WebAssembly.RuntimeError), `${what}: the module trapped: ${e.message}`);
    assert.ok(!(e instanceof RangeError), `${what}: stack overflow: ${e.message}`);
    assert.ok(e instanceof Error && e.message.length > 0, `${what}: threw ${e}`);
  }
}

/** An ordinary call whose answer is known: least squares through (0, 1), (1, 3) at x = 2 is 5. */
function stillWorks(what) {
  const p = leastSquares(Float64Array.from([0, 1]), Float64Array.from([1, 3]), Float64Array.from([2]), 1);
  assert.ok(Math.abs(p.mean[0] - 5) < 1e-9, `${what}: the module no longer answers correctly (${p.mean[0]})`);
}

test('the wasm API refuses random and adversarial inputs with errors and keeps working', () => {
  const modelBytes = manifest.models.length ? readFileSync(`${root}www/models/${manifest.models[0].file}`) : null;
  const model = modelBytes ? Model.load(modelBytes) : null;
  const reference = new Reference('linear(bias):0.5,sinusoid(omega_lo=0.5,omega_hi=2.5):0.5', 0.01, 0.2, 1);
  const calls = {
    'Model.load': () => {
      const bytes = modelBytes && random() < 0.5
        ? modelBytes.slice(0, Math.floor(random() * modelBytes.length))
        : Uint8Array.from({ length: Math.floor(random() * 300) }, () => Math.floor(random() * 256));
      if (modelBytes && bytes.length >= 200 && random() < 0.3) {
        // A real header with bytes flipped inside it.
        bytes.set(modelBytes.slice(0, 200));
        for (let i = 0; i < 5; i++) bytes[8 + Math.floor(random() * 150)] = Math.floor(random() * 256);
      }
      Model.load(bytes).free();
    },
    'Model.predict': () => model?.predict(array(length()), array(length()), array(length()), random() < 0.5 ? number() : undefined),
    'Model.leaveOneOut': () => model?.leaveOneOut(array(length()), array(length()), random() < 0.5 ? number() : undefined),
    'new Reference': () => new Reference(text(), number(), number(), number()).free(),
    'Reference.bayes': () => reference.bayes(array(length()), array(length()), array(length())),
    'Reference.leaveOneOut': () => reference.leaveOneOut(array(length() % 50), array(length() % 50)),
    leastSquares: () => leastSquares(array(length()), array(length()), array(length()), number()),
    nearestNeighbours: () => nearestNeighbours(array(length()), array(length()), array(length()), number(), number()),
    sampleFunction: () => sampleFunction(text(), number(), number(), number(), array(length())),
    coveringPrior: () => coveringPrior(text(), text()),
  };
  for (let round = 0; round < 200; round++) {
    for (const [name, call] of Object.entries(calls)) {
      survives(`${name} (round ${round})`, call);
      stillWorks(`after ${name} (round ${round})`);
    }
  }
  // Named adversarial cases: a 20 000-deep convex and NaN everywhere.
  survives('deep convex', () => sampleFunction(TEXTS.at(-4), 1, 10, 0.1, new Float64Array(0)));
  survives('NaN noise', () => new Reference('linear', NaN, NaN, 1));
  stillWorks('at the end');
  if (model) {
    const p = model.predict(Float64Array.from([0, 1]), Float64Array.from([0.2, 0.4]), Float64Array.from([0.5]), 1);
    assert.ok(Number.isFinite(p.mean[0]) && p.quantiles.length === 5);
  }
});
