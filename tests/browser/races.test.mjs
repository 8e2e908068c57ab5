// Races in the page's workers, in headless Chromium: model loads interleaved with each other,
// with predictions and with a running experiment sweep (an old model must not be freed while
// a call still holds it), and a superseded load that fails after a newer one succeeded (it
// must not blank the loaded model).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, manifest } from './harness.mjs';

let server;
let browser;
let close;
before(async () => ({ server, browser, close } = await launch()));
after(() => close?.());

const ids = manifest.models.map((m) => m.id);

async function open(context) {
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && page.errors.push(m.text()));
  await page.goto(`${server.url}index.html?nosw#pts=-1,0.5;0,-0.2;1,0.4`);
  await page.waitForFunction(() => window.incontext?.settled === true, null, { timeout: 60000 });
  return page;
}

test('model loads interleaved with predictions and a running sweep end on the last model chosen', { skip: ids.length < 2 }, async () => {
  const context = await browser.newContext();
  const page = await open(context);
  await page.locator('#experiments > summary').click();
  await page.waitForFunction(() => document.getElementById('experiments').dataset.status === 'running');
  // Switch models back and forth while the sweep runs and points move.
  const order = [ids[1], ids[0], ids[1], ids[0], ids[1]];
  for (const id of order) {
    await page.locator('#model').selectOption(id);
    await page.evaluate(() => window.incontext.toScreen(0.3, 0.3));
    await page.waitForTimeout(40);
  }
  await page.waitForFunction((id) => window.incontext.settled && window.incontext.info?.preset !== undefined && window.incontext.state.model === id, order.at(-1), { timeout: 60000 });
  await page.waitForFunction(() => document.getElementById('experiments').dataset.status === 'done', null, { timeout: 300000 });
  const status = await page.locator('#status-model').innerText();
  assert.match(status, new RegExp(`^${order.at(-1).replace(/[+]/g, '\\+')}:`));
  const run = await page.evaluate(() => document.getElementById('experiments').experiments.run);
  assert.deepEqual(run.errors, {}, 'the sweep finished without errors');
  assert.deepEqual(page.errors.filter((e) => /null pointer|recursive use|unreachable/.test(e)), []);
  assert.equal(await page.locator('#messages').innerText(), '');
  await context.close();
});

test('a superseded load that fails does not blank the model loaded after it', { skip: ids.length < 2 }, async () => {
  const context = await browser.newContext();
  const slow = manifest.models[1];
  // The second model's download fails, slowly: it ends after the first model is back.
  await context.route(`**/models/${slow.file}`, async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await route.fulfill({ status: 500, body: 'no' });
  });
  const page = await open(context);
  await page.locator('#model').selectOption(slow.id);
  await page.waitForTimeout(100);
  await page.locator('#model').selectOption(ids[0]);
  await page.waitForFunction((id) => window.incontext.settled && window.incontext.state.model === id, ids[0]);
  await page.waitForTimeout(2500); // the failed download has answered by now
  await page.evaluate(() => window.incontext.idle());
  assert.equal(await page.evaluate(() => window.incontext.info?.preset ?? null) !== null, true, 'the loaded model keeps its info');
  assert.match(await page.locator('#status-model').innerText(), new RegExp(`^${ids[0].replace(/[+]/g, '\\+')}:`));
  assert.doesNotMatch(await page.locator('#messages').innerText(), /Could not load/);
  await context.close();
});

test('a model replaced in the middle of a sweep is freed only when the sweep ends', { skip: ids.length < 2 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.url}index.html?nosw`);
  // Drive one worker directly: load A, start a long sweep on it, load B while it runs.
  const result = await page.evaluate(async (models) => {
    const worker = new Worker('worker.js', { type: 'module' });
    const next = (type) => new Promise((resolve) => {
      const on = ({ data }) => {
        if (data.type === type || (data.type === 'error' && data.stage !== 'backend')) {
          worker.removeEventListener('message', on);
          resolve(data);
        }
      };
      worker.addEventListener('message', on);
    });
    const load = (m) => worker.postMessage({ type: 'load', id: m.id, url: `models/${m.file}`, bytes: m.bytes, sha256: m.sha256 });
    load(models[0]);
    const ready = await next('ready');
    const sweep = next('experiment-result');
    worker.postMessage({
      type: 'experiment', id: 'race', which: 'model', families: ['sinusoid(omega_lo=1,omega_hi=1)', 'sinusoid(omega_lo=2,omega_hi=2)'],
      seed: 1, prompts: 200, context: 20, queries: 20, noise: [0.01, 0.2], mixture: ready.model.info.mixture,
    });
    load(models[1]);
    const [done, second] = await Promise.all([sweep, next('ready')]);
    worker.terminate();
    return { done, second: second.model?.id ?? second.message };
  }, manifest.models.slice(0, 2));
  assert.equal(result.second, ids[1]);
  assert.equal(result.done.type, 'experiment-result');
  assert.equal(result.done.error, undefined, `the sweep failed: ${result.done.error}`);
  assert.equal(result.done.series.model.nse.length, 2);
  await context.close();
});
