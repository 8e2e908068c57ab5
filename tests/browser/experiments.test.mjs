// The Experiments view in headless Chromium: opening it runs the live E6 on the loaded model;
// moving the α slider to 1 (a family inside pretraining) and the ω slider far above the trained
// band each run again, and the page draws NSE(k) of the model and of the Bayes posterior. On
// lines the Bayes posterior's error falls close to 0; far outside the band both stay near 1
// (predicting 0). A screenshot
// goes to tests/browser/artifacts/experiments.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { artifacts, launch, manifest } from './harness.mjs';


let server;
let browser;
let close;
before(async () => ({ server, browser, close } = await launch()));
after(() => close?.());

/** Waits for the current run to finish and returns {kind, value, points, model, bayes} (NSE arrays). */
async function finished(page, kind, value) {
  await page.waitForFunction(
    ([kind, value]) => {
      const e = document.getElementById('experiments');
      return e.dataset.status === 'done' && e.experiments.run?.kind === kind && e.experiments.run?.value === value;
    },
    [kind, value],
    { timeout: 240000 },
  );
  return page.evaluate(() => {
    const run = document.getElementById('experiments').experiments.run;
    return { kind: run.kind, value: run.value, points: run.points, errors: run.errors, model: run.result.model?.nse, bayes: run.result.bayes?.nse };
  });
}

async function setSlider(page, id, value) {
  await page.evaluate(
    ([id, value]) => {
      const input = document.getElementById(id);
      input.value = String(value);
      input.dispatchEvent(new Event('input', { bubbles: true }));
      input.dispatchEvent(new Event('change', { bubbles: true }));
    },
    [id, value],
  );
}

test('the experiments view runs E6 and E7 on the loaded model and draws NSE(k)', { skip: manifest.models.length === 0 && 'no model' }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1400 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.url}index.html?nosw`);
  await page.waitForFunction(() => window.incontext?.settled === true, null, { timeout: 60000 });
  await page.locator('#experiments > summary').click();
  const first = await finished(page, 'convex', 0.5);
  assert.deepEqual(first.errors, {});
  assert.equal(first.model.length, first.points);

  await setSlider(page, 'exp-alpha', 1);
  const inside = await finished(page, 'convex', 1);
  assert.match(await page.locator('#exp-alpha-tag').innerText(), /inside pretraining/);
  const last = inside.points - 1;
  assert.equal(await page.locator('#exp-chart path.nse-line.nse-model').getAttribute('data-points'), String(inside.points));
  assert.equal(await page.locator('#exp-chart path.nse-line.nse-bayes').count(), 1);
  // With no context both predict (about) 0: NSE(0) near 1. With 40 points of a line both are close to exact.
  assert.ok(inside.bayes[0] > 0.5 && inside.bayes[0] < 2, `Bayes NSE(0) = ${inside.bayes[0]}`);
  // Averages over k = 20 … 40. On lines (in pretraining) the Bayes posterior is near exact.
  const late = (nse) => nse.slice(20).reduce((a, b) => a + b, 0) / nse.slice(20).length;
  assert.ok(late(inside.bayes) < 0.05, `Bayes NSE(k ≥ 20) on lines = ${inside.bayes}`);
  assert.ok(inside.model.every(Number.isFinite), `model NSE on lines = ${inside.model}`);

  await setSlider(page, 'exp-omega', 6);
  const outside = await finished(page, 'omega', 6);
  assert.deepEqual(outside.errors, {});
  assert.match(await page.locator('#exp-omega-tag').innerText(), /outside pretraining/);
  // Far above the trained band [0.5, 2.5] neither the model nor the Bayes posterior of the
  // pretraining prior learns the sinusoid: both stay near predicting 0.
  assert.ok(late(outside.bayes) > 0.5, `Bayes NSE at ω = 6: ${outside.bayes}`);
  assert.ok(late(outside.model) > late(inside.model) && late(outside.model) > 0.5, `model NSE at ω = 6: ${outside.model}`);
  assert.match(await page.locator('#exp-status').innerText(), /ω = 6: done/);
  await page.locator('#experiments').screenshot({ path: `${artifacts}/experiments.png` });
  assert.deepEqual(errors, []);
  await context.close();
});
