// The service worker in headless Chromium, on a throw-away copy of www/ that each test edits as
// a deploy would: offline use covers the result figures and says plainly when a model was never
// downloaded; an update waits for the reader (the open page never mixes two versions) and then
// replaces the old cache; an update missing a shell file does not install; a host that
// redirects /index.html to / still works offline.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { root, manifest } from './harness.mjs';
import { startServer } from './server.mjs';

let browser;
before(async () => {
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
});
after(() => browser?.close());

/** A copy of www/ without training logs and checkpoints (the page never fetches them). */
function copyOfWww() {
  const dir = mkdtempSync(join(tmpdir(), 'incontext-www-'));
  cpSync(`${root}www`, dir, { recursive: true, filter: (src) => !/\.(eval\.json)$/.test(src) });
  return dir;
}

async function openControlled(context, url) {
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(url);
  await page.waitForFunction(() => window.incontext?.settled === true, null, { timeout: 60000 });
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
    }
  });
  return page;
}

/** The cache names and, for the current one, the cached paths. */
const cacheState = (page) =>
  page.evaluate(async () => {
    const names = await caches.keys();
    const current = `incontext-${(await (await fetch('sw-version.js')).text()).match(/'([^']+)'/)[1]}`;
    const keys = names.includes(current) ? (await (await caches.open(current)).keys()).map((r) => new URL(r.url).pathname) : [];
    return { names, current, keys };
  });

test('offline: the published figures are there, and a model never downloaded says so', async () => {
  const dir = copyOfWww();
  const missing = manifest.models.at(-1);
  rmSync(join(dir, 'models', missing.file)); // its download fails, so it is never cached
  const server = await startServer({ root: dir });
  const context = await browser.newContext();
  const page = await openControlled(context, `${server.url}index.html`);
  const index = JSON.parse(readFileSync(join(dir, 'results/index.json'), 'utf8'));
  const figures = index.experiments.map((e) => `/results/${e.figures[0]}`);
  await page.waitForFunction(async (n) => (await (await caches.open((await caches.keys())[0])).keys()).filter((r) => r.url.includes('/results/')).length >= n, figures.length + 1, { timeout: 60000 });
  await context.setOffline(true);
  await page.reload();
  await page.waitForFunction(() => window.incontext?.settled === true, null, { timeout: 60000 });
  await page.locator('#experiments > summary').click();
  await page.waitForFunction((n) => document.querySelectorAll('#exp-figures img').length === n, figures.length);
  const loaded = await page.evaluate(() => Promise.all([...document.querySelectorAll('#exp-figures img')].map((img) => img.decode().then(() => true, () => false))));
  assert.ok(loaded.every(Boolean), 'every figure loads offline');
  await page.locator('#model').selectOption(missing.id);
  await page.waitForFunction(() => /never downloaded/.test(document.getElementById('messages').innerText));
  assert.doesNotMatch(await page.locator('#messages').innerText(), /Failed to fetch/);
  await context.close();
  await server.close();
  rmSync(dir, { recursive: true });
});

test('an update waits for the reader, then replaces the old version; a broken one never installs', async () => {
  const dir = copyOfWww();
  const server = await startServer({ root: dir });
  const context = await browser.newContext();
  const page = await openControlled(context, `${server.url}index.html`);
  const first = await cacheState(page);
  // A deploy: a new cache version.
  writeFileSync(join(dir, 'sw-version.js'), "self.INCONTEXT_VERSION = 'test-update-2';\n");
  await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).update());
  await page.waitForSelector('#update button', { timeout: 60000 });
  const waiting = await page.evaluate(async () => {
    const r = await navigator.serviceWorker.getRegistration();
    return { waiting: Boolean(r.waiting), names: await caches.keys() };
  });
  assert.equal(waiting.waiting, true, 'the new version waits');
  assert.ok(waiting.names.includes(first.current) && waiting.names.includes('incontext-test-update-2'), `both caches while waiting: ${waiting.names}`);
  // The open page keeps working on its own version.
  await page.evaluate(() => window.incontext.sample('linear(bias)', 3, 5));
  await page.waitForFunction(() => window.incontext.settled && window.incontext.state.points.length === 5);
  await Promise.all([page.waitForEvent('load'), page.locator('#update button').click()]);
  await page.waitForFunction(() => window.incontext?.settled === true, null, { timeout: 60000 });
  assert.deepEqual(await page.evaluate(() => caches.keys()), ['incontext-test-update-2']);
  // A deploy missing the wasm: the install fails and the current version keeps serving.
  writeFileSync(join(dir, 'sw-version.js'), "self.INCONTEXT_VERSION = 'test-update-3';\n");
  rmSync(join(dir, 'pkg/incontext_bg.wasm'));
  const outcome = await page.evaluate(async () => {
    const r = await navigator.serviceWorker.getRegistration();
    try {
      await r.update();
    } catch (e) {
      return `update rejected: ${e.message}`;
    }
    const worker = r.installing;
    if (worker) await new Promise((resolve) => worker.addEventListener('statechange', () => worker.state === 'redundant' && resolve()));
    return r.waiting ? 'waiting' : 'not installed';
  });
  assert.notEqual(outcome, 'waiting');
  await context.setOffline(true);
  await page.reload();
  await page.waitForFunction(() => window.incontext?.settled === true, null, { timeout: 60000 });
  assert.deepEqual(await page.evaluate(() => caches.keys()), ['incontext-test-update-2']);
  assert.deepEqual(page.errors, []);
  await context.close();
  await server.close();
  rmSync(dir, { recursive: true });
});

test('a host that redirects /index.html to / works offline', async () => {
  const dir = copyOfWww();
  const server = await startServer({ root: dir, redirects: { '/index.html': '/' } });
  const context = await browser.newContext();
  const page = await openControlled(context, server.url);
  await page.waitForFunction(async () => (await (await caches.open((await caches.keys())[0])).keys()).some((r) => r.url.endsWith('/pkg/incontext_bg.wasm')), null, { timeout: 60000 });
  await context.setOffline(true);
  await page.reload();
  await page.waitForFunction(() => window.incontext?.settled === true, null, { timeout: 60000 });
  assert.deepEqual(page.errors, []);
  await context.close();
  await server.close();
  rmSync(dir, { recursive: true });
});
