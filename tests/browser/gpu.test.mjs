// The WebGPU path in headless Chromium. With --enable-unsafe-webgpu Chromium offers a
// SwiftShader adapter (a CPU emulation: these tests check correctness and the fallbacks, not
// speed). Checks: GpuModel against the wasm Model on the same inputs; the page on WebGPU and on
// wasm showing the same curve (screenshots of both in tests/browser/artifacts/); the fallback to
// wasm, with the indicator right, when navigator.gpu is undefined, when requestAdapter() returns
// null, and when the device is lost (without a reload, and saying so).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { encodeHash, defaultState } from '../../www/lib/state.js';
import { artifacts, launch, manifest } from './harness.mjs';

const entry = manifest.models.find((m) => m.id === manifest.default);
const TOL = 1e-4;
const LOAD_TIMEOUT = 120000;

let server;
let browser;
let close;
before(async () => ({ server, browser, close } = await launch({ webgpu: true })));
after(() => close?.());

/** Code put in front of worker.js: makes WebGPU unavailable in the worker in one of two ways. */
const SHIMS = {
  noNavigatorGpu: "Object.defineProperty(WorkerNavigator.prototype, 'gpu', { get: () => undefined, configurable: true });\n",
  nullAdapter: 'if (self.GPU) GPU.prototype.requestAdapter = async function () { return null; };\n',
};

/**
 * A fresh context without service workers (each page fetches the files it is given) and a page
 * at `hash`; `shim` (a key of SHIMS) is put in front of worker.js.
 */
async function open(hash, shim = null) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, serviceWorkers: 'block' });
  if (shim) {
    await context.route('**/worker.js', async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, body: SHIMS[shim] + (await response.text()) });
    });
  }
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(`${server.url}index.html#${hash}`);
  await page.waitForFunction(() => window.incontext?.settled === true, null, { timeout: LOAD_TIMEOUT });
  return { context, page };
}

/** Waits until the model worker has decided its backend; returns the indicator's state. */
async function backendDecided(page, want = null) {
  await page.waitForFunction(
    (want) => {
      const el = document.getElementById('status-backend');
      const decided = el.title && !el.title.startsWith('starting');
      return decided && (!want || el.dataset.backend === want);
    },
    want,
    { timeout: LOAD_TIMEOUT },
  );
  await page.evaluate(() => window.incontext.idle());
  return page.evaluate(() => {
    const el = document.getElementById('status-backend');
    return { backend: el.dataset.backend, text: el.textContent, note: el.title, choice: document.getElementById('backend-choice').value };
  });
}

const modelCurve = (page) => page.evaluate(() => Array.from(window.incontext.view.model.mean));
const messages = (page) => page.locator('#messages').innerText();

function maxDiff(a, b) {
  assert.equal(a.length, b.length);
  return a.reduce((worst, v, i) => Math.max(worst, Math.abs(v - b[i]) / Math.max(1, Math.abs(b[i]))), 0);
}

const POINTS = [[-2.1, -0.8], [-1.2, 0.4], [-0.3, 0.9], [0.4, 0.7], [1.3, -0.2], [2.2, -0.9]];
const HASH = encodeHash({ ...defaultState(), points: POINTS });

test('GpuModel on SwiftShader equals the wasm Model on the same inputs', { skip: !entry && 'no default model' }, async () => {
  const context = await browser.newContext({ serviceWorkers: 'block' });
  const page = await context.newPage();
  await page.goto(`${server.url}index.html`);
  const out = await page.evaluate(
    async ({ file }) => {
      const wasm = await import('./pkg/incontext.js');
      await wasm.default();
      const bytes = new Uint8Array(await (await fetch(`models/${file}`)).arrayBuffer());
      const cpu = wasm.Model.load(bytes);
      const gpu = await wasm.GpuModel.load(bytes);
      const maxPoints = cpu.info().architecture.max_points;
      const queries = Float64Array.from({ length: 200 }, (_, i) => -3 + (6 * i) / 199);
      const cases = [];
      for (const [k, seed] of [[0, 1], [1, 2], [8, 3], [maxPoints - 1, 4]]) {
        const s = wasm.sampleFunction('sinusoid(omega_lo=0.5,omega_hi=2.5)', seed, Math.max(k, 1), 0.05, new Float64Array(0));
        const xs = s.xs.slice(0, k);
        const ys = s.ys.slice(0, k);
        const a = await gpu.predict(xs, ys, queries, 1);
        const b = k > 0 ? toPlain(cpu.predict(xs, ys, queries, 1)) : oneByOne(xs, ys);
        cases.push({ k, gpu: toPlain(a), cpu: b });
      }
      const lossBefore = gpu.lostReason();
      return { adapter: gpu.adapter(), lossBefore, cases };
      function toPlain(s) {
        return { mean: Array.from(s.mean), probs: Array.from(s.probs), familyProbs: Array.from(s.familyProbs), quantiles: Array.from(s.quantiles) };
      }
      // With an empty context the CPU session runs its queries as one causal sequence (query i
      // also sees queries before it), so there each query is asked alone, as the GPU path does.
      function oneByOne(xs, ys) {
        const each = Array.from(queries, (x) => toPlain(cpu.predict(xs, ys, Float64Array.of(x), 1)));
        const families = each[0].familyProbs.length;
        return {
          mean: each.map((e) => e.mean[0]),
          probs: each.flatMap((e) => e.probs),
          familyProbs: Array.from({ length: families }, (_, j) => each.reduce((sum, e) => sum + e.familyProbs[j], 0) / each.length),
          quantiles: [0, 1, 2, 3, 4].flatMap((l) => each.map((e) => e.quantiles[l])),
        };
      }
    },
    { file: entry.file },
  );
  console.log(`adapter: ${JSON.stringify(out.adapter)}`);
  assert.equal(out.lossBefore ?? null, null, 'no loss reported on a working device');
  for (const { k, gpu, cpu } of out.cases) {
    assert.ok(maxDiff(gpu.mean, cpu.mean) <= TOL, `k=${k}: means differ by ${maxDiff(gpu.mean, cpu.mean)}`);
    for (const key of ['probs', 'familyProbs']) {
      const worst = gpu[key].reduce((w, v, i) => Math.max(w, Math.abs(v - cpu[key][i])), 0);
      assert.ok(worst <= TOL, `k=${k}: ${key} differ by ${worst}`);
    }
    const q = cpu.mean.length;
    const worstQ = gpu.quantiles.reduce((w, v, i) => {
      const width = Math.max(cpu.quantiles[4 * q + (i % q)] - cpu.quantiles[i % q], 1);
      return Math.max(w, Math.abs(v - cpu.quantiles[i]) / width);
    }, 0);
    assert.ok(worstQ <= TOL, `k=${k}: quantiles differ by ${worstQ} of the 90% width`);
    console.log(`k=${k}: largest mean difference ${maxDiff(gpu.mean, cpu.mean).toExponential(2)}, quantile ${worstQ.toExponential(2)}`);
  }
  await context.close();
});

test('the page runs on WebGPU, switches to wasm on request, and both draw the same curve', { skip: !entry && 'no default model' }, async () => {
  const { context, page } = await open(HASH);
  const gpu = await backendDecided(page, 'webgpu');
  assert.match(gpu.text, /^webgpu \(/, `indicator: ${gpu.text}`);
  assert.match(gpu.note, /WebGPU on /);
  const gpuCurve = await modelCurve(page);
  await page.screenshot({ path: `${artifacts}/backend-webgpu.png` });
  await page.selectOption('#backend-choice', 'wasm-simd');
  const wasm = await backendDecided(page, 'wasm-simd');
  assert.equal(wasm.text, 'wasm-simd');
  assert.equal(wasm.choice, 'wasm-simd');
  await page.evaluate(() => window.incontext.idle());
  const wasmCurve = await modelCurve(page);
  await page.screenshot({ path: `${artifacts}/backend-wasm.png` });
  assert.ok(maxDiff(gpuCurve, wasmCurve) <= TOL, `curves differ by ${maxDiff(gpuCurve, wasmCurve)}`);
  assert.equal(await messages(page), '', 'a chosen switch is not a warning');
  await page.selectOption('#backend-choice', 'webgpu');
  assert.equal((await backendDecided(page, 'webgpu')).choice, 'webgpu');
  assert.deepEqual(page.errors, []);
  await context.close();
});

for (const [shim, reason] of [
  ['noNavigatorGpu', /navigator\.gpu is undefined/],
  ['nullAdapter', /no GPU adapter found/],
]) {
  test(`without WebGPU (${shim}) the page runs on wasm and the indicator says why`, { skip: !entry && 'no default model' }, async () => {
    const { context, page } = await open(HASH, shim);
    const status = await backendDecided(page);
    assert.equal(status.backend, 'wasm-simd');
    assert.equal(status.text, 'wasm-simd');
    assert.match(status.note, reason);
    assert.equal((await modelCurve(page)).length > 0, true, 'the model still answers');
    assert.equal(await messages(page), '', 'automatic fallback at start is not an alarm');
    // Asking for WebGPU explicitly is refused with the reason, visibly.
    await page.selectOption('#backend-choice', 'webgpu');
    await page.waitForFunction(() => document.getElementById('messages').innerText.includes('Backend:'));
    assert.match(await messages(page), reason);
    assert.equal((await backendDecided(page)).backend, 'wasm-simd');
    await page.screenshot({ path: `${artifacts}/backend-fallback-${shim}.png` });
    assert.deepEqual(page.errors, []);
    await context.close();
  });
}

test('a lost WebGPU device falls back to wasm without a reload and says so', { skip: !entry && 'no default model' }, async () => {
  const { context, page } = await open(HASH);
  await backendDecided(page, 'webgpu');
  const before = await modelCurve(page);
  await page.evaluate(() => {
    window.notReloaded = true;
  });
  let lost = 0;
  for (const worker of page.workers()) {
    lost += await worker.evaluate(() => {
      const gpu = self.incontextBackends?.gpu;
      gpu?.loseDevice();
      return gpu ? 1 : 0;
    });
  }
  assert.equal(lost, 1, 'one worker (the model\'s) had a GPU model');
  // The next prediction (after a new point) meets the lost device.
  await page.locator('#plot').scrollIntoViewIfNeeded();
  const [px, py] = await page.evaluate(() => window.incontext.toScreen(2.8, 0.1));
  await page.mouse.click(px, py);
  const status = await backendDecided(page, 'wasm-simd');
  assert.match(status.note, /WebGPU device was lost .*switched to wasm SIMD/);
  assert.match(await messages(page), /device was lost/);
  assert.equal(await page.evaluate(() => window.notReloaded), true, 'no reload');
  assert.equal((await modelCurve(page)).length, before.length, 'wasm answers in place of the GPU');
  await page.screenshot({ path: `${artifacts}/backend-device-lost.png` });
  assert.deepEqual(page.errors, []);
  await context.close();
});
