// The Experiments view in headless Chromium: opening it sweeps E6 over α on the loaded model,
// choosing E7 sweeps ω; the page draws NSE after 20 context points of the model, the Bayes
// posterior of the pretraining prior, the Bayes posterior whose prior covers each family, and
// 3-NN. Outside pretraining the family-aware Bayes separates from the model; inside, the model
// is close to Bayes. Screenshots go to tests/browser/artifacts/experiments*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { artifacts, launch, manifest } from './harness.mjs';


let server;
let browser;
let close;
before(async () => ({ server, browser, close } = await launch()));
after(() => close?.());

/** Waits for the current sweep of `kind` to finish and returns {kind, values, context, prompts, errors, series, heading}. */
async function finished(page, kind) {
  await page.waitForFunction(
    (kind) => {
      const e = document.getElementById('experiments');
      return e.dataset.status === 'done' && e.experiments.run?.kind === kind;
    },
    kind,
    { timeout: 400000 },
  );
  return page.evaluate(() => {
    const run = document.getElementById('experiments').experiments.run;
    const { kind, values, context, prompts, errors, series } = run;
    return { kind, values, context, prompts, errors, series, heading: document.getElementById('exp-heading').textContent };
  });
}

test('the experiments view sweeps E6 over α and E7 over ω, and the family-aware Bayes separates from the model outside pretraining', { skip: manifest.models.length === 0 && 'no model' }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1400 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.url}index.html?nosw`);
  await page.waitForFunction(() => window.incontext?.settled === true, null, { timeout: 60000 });
  await page.locator('#experiments > summary').click();
  const e6 = await finished(page, 'convex');
  assert.deepEqual(e6.errors, {});
  assert.deepEqual(e6.values, [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
  assert.equal(e6.prompts, 64);
  for (const name of ['model', 'bayes', 'covering', 'knn']) assert.equal(e6.series[name].nse.length, 11, name);
  assert.equal(await page.locator('#exp-chart path.nse-line').count(), 4);
  const { model, bayes, covering } = e6.series;
  // α = 1: lines, a pretraining family; after 20 points the model is close to the Bayes posterior.
  assert.ok(model.nse[10] < 0.1 && bayes.nse[10] < 0.1, `α = 1: model ${model.nse[10]}, Bayes ${bayes.nse[10]}`);
  // α = 0.5: the Bayesian whose prior covers the combination is clearly better than the model.
  assert.ok(covering.hi[5] < model.lo[5], `α = 0.5: covering [${covering.lo[5]}, ${covering.hi[5]}] vs model [${model.lo[5]}, ${model.hi[5]}]`);
  assert.match(e6.heading, /^Between the two families \(0 < α < 1\) the model's NSE averages [\d.]+, the Bayes posterior of the pretraining prior [\d.]+, and a Bayesian whose prior covers the family [\d.]+/);
  await page.locator('#experiments').screenshot({ path: `${artifacts}/experiments-e6.png` });

  await page.locator('#exp-kind-omega').check();
  const e7 = await finished(page, 'omega');
  assert.deepEqual(e7.errors, {});
  const at = (omega) => e7.values.indexOf(omega);
  const s = e7.series;
  // Inside the trained band [0.5, 2.5] the model learns the sinusoid; at ω = 6 it does not,
  // while a Bayesian whose prior reaches ω = 6 does.
  assert.ok(s.model.nse[at(1.5)] < 0.2, `ω = 1.5: model ${s.model.nse[at(1.5)]}`);
  assert.ok(s.covering.hi[at(6)] < s.model.lo[at(6)], `ω = 6: covering ${s.covering.hi[at(6)]} vs model ${s.model.lo[at(6)]}`);
  assert.ok(s.model.nse[at(6)] > 0.5, `ω = 6: model ${s.model.nse[at(6)]}`);
  assert.equal(await page.locator('#exp-chart rect.exp-trained').count(), 1);
  assert.match(await page.locator('#exp-status').innerText(), /E7, ω from 0.5 to 8: 64 prompts per value, 20 context points: done in [\d.]+ s/);
  await page.locator('#experiments').screenshot({ path: `${artifacts}/experiments.png` });

  assert.deepEqual(errors, []);
  await context.close();
});
