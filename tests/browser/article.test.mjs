// The article (www/article.html): every number in its text is found in the committed result
// files its paragraph names (Node); in headless Chromium, the first demo shows a model
// prediction soon after a cold load (the time is reported), the demos further down start only
// when scrolled near, every demo renders a prediction, all of them share one wasm instance per
// worker kind and one download of each model, the prepared demos' sliders and read-only points
// work, no console error occurs, it works offline after the first visit, and screenshots at
// desktop and phone widths (light and dark) go to tests/browser/artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { artifacts, launch, manifest, root } from './harness.mjs';
import { startServer } from './server.mjs';

const html = readFileSync(`${root}www/article.html`, 'utf8');
const hasModel = manifest.models.length > 0;
/** The cold-load budget for the first demo's model curve (ms): the target is 2000 (measured 1.0–1.8 s on a loaded 2-core machine), with a margin for a busier one. */
const FIRST_DEMO_MS = Number(process.env.INCONTEXT_ARTICLE_BUDGET_MS ?? 3000);

/**
 * Text of an HTML fragment: tags removed, the few entities the article uses decoded, without
 * its "Source" note and the settings of a live demo (`<span class="param">`), which are no
 * results.
 */
function text(fragment) {
  return fragment
    .replace(/<small class="src">[\s\S]*?<\/small>/g, ' ')
    .replace(/<span class="param">[^<]*<\/span>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&').replace(/&nbsp;/g, ' ').replace(/&lt;/g, '<').replace(/&gt;/g, '>')
    .replace(/\s+/g, ' ');
}

/** Decimal numbers of a text (digits around a point; signs dropped). */
const decimals = (t) => [...t.matchAll(/(?<![\d.])\d+\.\d+(?![\d.])/g)].map((m) => m[0]);

/** Whether `file` holds a number that, rounded to the digits of `shown`, is `shown`. */
function holds(file, shown) {
  const places = shown.split('.')[1].length;
  return decimals(file).some((v) => Math.abs(Number(v)) .toFixed(places) === shown);
}

/** The article's text blocks: `{tag, src: [paths] | null, text}` of each paragraph, caption and list item. */
function blocks() {
  const out = [];
  const body = html.replace(/<ul class="refs">[\s\S]*?<\/ul>/, ''); // the references' arXiv number is no result
  for (const m of body.matchAll(/<(p|figcaption|li|td|h[1-3])\b([^>]*)>([\s\S]*?)<\/\1>/g)) {
    const src = /data-src="([^"]+)"/.exec(m[2]);
    out.push({ tag: m[1], src: src ? src[1].split(/\s+/) : null, text: text(m[3]) });
  }
  return out;
}

test('every number in the text is in a committed result file its paragraph names', () => {
  const cited = new Set();
  let checked = 0;
  for (const block of blocks()) {
    const numbers = decimals(block.text);
    if (!numbers.length) continue;
    assert.ok(block.src, `a ${block.tag} with numbers (${numbers.join(', ')}) names no source: “${block.text.trim().slice(0, 90)}…”`);
    const files = block.src.map((path) => {
      assert.ok(existsSync(`${root}${path}`), `${path}, cited by the article, is not in the repository`);
      cited.add(path);
      return readFileSync(`${root}${path}`, 'utf8');
    });
    for (const n of numbers) {
      assert.ok(files.some((f) => holds(f, n)), `${n} (“${block.text.trim().slice(0, 70)}…”) is in none of ${block.src.join(', ')}`);
      checked += 1;
    }
  }
  assert.ok(checked >= 40, `only ${checked} numbers checked`);
  // The closing table of sources lists exactly the files the paragraphs cite.
  const table = /<table class="sources">([\s\S]*?)<\/table>/.exec(html)[1];
  const listed = new Set([...table.matchAll(/<code>([^<]+)<\/code>/g)].map((m) => m[1]));
  assert.deepEqual([...cited].sort(), [...listed].sort());
});

test("the element's attributes become the embed's hash, which the page's parser reads back", async () => {
  const { demoHash } = await import('../../www/incontext-demo.js');
  const { parseHash } = await import('../../www/lib/state.js');
  const hash = (attrs) => demoHash((name) => (Object.hasOwn(attrs, name) ? attrs[name] : null));
  const ids = ['linear', 'linear+sinusoid'];
  const read = (attrs) => parseHash(hash(attrs), ids);
  assert.equal(hash({}), '');
  // Points, models, flags and read-only.
  let { state, warnings } = read({ model: 'linear+sinusoid', points: '-1,0.5;0,0.2<script>', bayes: 'off', ls: 'on', covering: 'false', readonly: '' });
  assert.deepEqual(warnings, []);
  assert.deepEqual([state.model, state.points, state.bayes, state.ls, state.covering, state.readonly], ['linear+sinusoid', [[-1, 0.5], [0, 0.2]], false, true, false, true]);
  // A sampled function with its seed, noise and revealed points; the k slider.
  ({ state, warnings } = read({ truth: 'linear(bias)', seed: '5', sigma: '0.1', k: '3', vary: 'k' }));
  assert.deepEqual(warnings, []);
  assert.deepEqual([state.truth, state.k, state.vary, state.points], [{ family: 'linear(bias)', seed: 5, sigma: 0.1 }, 3, 'k', []]);
  // α and ω sliders build the function when none is named (seed 1 unless given).
  ({ state } = read({ vary: 'alpha', alpha: '0.25', f2: 'relu_net(hidden=100,bias)' }));
  assert.deepEqual([state.truth.family, state.truth.seed, state.alpha, state.convexB], ['convex(alpha=0.25,linear(bias),relu_net(hidden=100,bias))', 1, 0.25, 'relu_net(hidden=100,bias)']);
  ({ state } = read({ vary: 'omega', omega: '5', seed: '7', compare: 'linear, linear+sinusoid' }));
  assert.deepEqual([state.truth.family, state.truth.seed, state.omega, state.compare], ['sinusoid(omega_lo=5,omega_hi=5)', 7, 5, ids]);
  // Nonsense is dropped (by the element, or by the page with a warning), never thrown.
  ({ state, warnings } = read({ vary: 'beta', heat: 'maybe', k: 'many' }));
  assert.deepEqual([state.vary, state.heat, state.k, warnings.length], ['none', false, 10, 1]);
});

test('the slider of a prepared demo: the family it draws and whether that lies inside pretraining', async () => {
  const { variedFamily, variedInside, VARY } = await import('../../www/lib/vary.js');
  const families = [{ name: 'linear', spec: 'linear(bias)', weight: 0.5 }, { name: 'sinusoid', spec: 'sinusoid(omega_lo=0.5,omega_hi=2.5)', weight: 0.5 }];
  const state = { convexA: '', convexB: '', truth: { family: 'linear(bias)', seed: 1, sigma: 0 } };
  assert.equal(variedFamily('alpha', 0.3, state), 'convex(alpha=0.3,linear(bias),sinusoid(omega_lo=0.5,omega_hi=2.5))');
  assert.equal(variedFamily('omega', 5, state), 'sinusoid(omega_lo=5,omega_hi=5)');
  assert.equal(variedFamily('k', 12, state), 'linear(bias)');
  assert.deepEqual([0, 0.5, 1].map((a) => variedInside('alpha', a, state, families)), [true, false, true]);
  assert.deepEqual([0.3, 2, 5].map((w) => variedInside('omega', w, state, families)), [false, true, false]);
  assert.equal(variedInside('k', 3, state, families), null);
  assert.equal(variedInside('omega', 2, state, []), null);
  assert.deepEqual(Object.keys(VARY), ['alpha', 'omega', 'k']);
});

test('the article, its script and the modules the demos load are in the offline shell', () => {
  const sw = readFileSync(`${root}www/sw.js`, 'utf8');
  const shell = new Set([...(/const SHELL = \[([\s\S]*?)\];/.exec(sw)[1]).matchAll(/'([^']+)'/g)].map((m) => m[1]));
  for (const file of ['article.html', 'article.css', 'article.js', 'incontext-demo.js', 'embed.html']) assert.ok(shell.has(file), `${file} is not precached`);
  const libs = readFileSync(`${root}www/app.js`, 'utf8').matchAll(/from '\.\/(lib\/[^']+)'/g);
  for (const [, lib] of libs) assert.ok(shell.has(lib), `${lib} is not precached`);
  // The main page links to the article.
  assert.match(readFileSync(`${root}www/index.html`, 'utf8'), /href="article\.html"/);
});

let server;
let browser;
let close;
let requests = []; // paths the server was asked for
before(async () => {
  ({ server, browser, close } = await launch());
  server.server.on('request', (req) => requests.push(decodeURIComponent(req.url.split(/[?#]/)[0])));
});
after(() => close?.());

/** A fresh context (cold cache, own storage) and a page that records errors and console errors. */
async function open(options = {}, path = 'article.html') {
  // No service worker: its precaching would fetch the wasm and the models once more.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, serviceWorkers: 'block', ...options });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && page.errors.push(m.text()));
  await page.goto(`${server.url}${path}`);
  return { context, page };
}

/** The ids of the article's demos, in order. */
const demoIds = () => [...html.matchAll(/<incontext-demo id="([^"]+)"/g)].map((m) => m[1]);

/** The frame of demo `id` (once it has a document). */
async function frameOf(page, id) {
  const handle = await page.locator(`#${id}`).evaluateHandle((el) => el.shadowRoot.querySelector('iframe'));
  for (let i = 0; i < 600; i++) {
    const frame = await handle.asElement().contentFrame();
    if (frame && frame.url().includes('embed.html')) return frame;
    await page.waitForTimeout(50);
  }
  throw new Error(`demo ${id} has no frame`);
}

/** Waits until demo `id` has drawn its model's prediction (every panel's, in a compare view). */
async function rendered(page, id) {
  await page.locator(`#${id}`).scrollIntoViewIfNeeded();
  const frame = await frameOf(page, id);
  const compared = (await page.locator(`#${id}`).getAttribute('compare'))?.split(',').length ?? 0;
  await frame.waitForFunction((n) => {
    const c = window.incontext;
    if (!c?.settled) return false;
    const panels = c.compare;
    if (panels.length !== n) return false;
    if (n) return panels.every((p) => p.error === '' && p.familyProbs?.length > 0);
    return Boolean(c.view?.model?.mean?.length) && Array.from(c.view.model.mean).every(Number.isFinite);
  }, compared, { timeout: 60000 });
  return frame;
}

/** Waits until article.js has chosen the models of section 4's comparison from the manifest. */
async function comparisonChosen(page) {
  const wide = manifest.models.some((m) => m.id === 'linear+sinusoid-wide');
  await page.waitForFunction((w) => {
    const demo = document.getElementById('demo-compare');
    return demo.getAttribute('compare') === (w ? demo.dataset.wideCompare : 'linear,linear+sinusoid') && document.querySelector('.when-wide').hidden === !w;
  }, wide);
}

test('the first demo is interactive soon after a cold load; the others wait until scrolled near', { skip: !hasModel }, async (t) => {
  const { context, page } = await open();
  const first = await frameOf(page, 'demo-learning');
  await first.waitForFunction(() => Boolean(window.incontext?.view?.model), null, { timeout: 60000 });
  // From the article's navigation to the first model curve drawn in the first demo's frame.
  const ms = await first.evaluate(() => performance.timeOrigin + performance.getEntriesByName('incontext:first-prediction')[0].startTime);
  const start = await page.evaluate(() => performance.timeOrigin);
  const elapsed = ms - start;
  t.diagnostic(`first demo: model curve ${elapsed.toFixed(0)} ms after the article's navigation started (cold cache)`);
  console.log(`article: first demo's model curve ${elapsed.toFixed(0)} ms after navigation (cold cache)`);
  assert.ok(elapsed < FIRST_DEMO_MS, `the first demo took ${elapsed.toFixed(0)} ms`);
  // The last demo is far below: not started.
  const last = demoIds().at(-1);
  assert.equal(await page.locator(`#${last}`).evaluate((el) => el.shadowRoot.querySelector('iframe').getAttribute('src')), null);
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('every demo renders a prediction, all share one wasm per worker and one download of each model', { skip: !hasModel }, async () => {
  requests = [];
  const { context, page } = await open();
  const ids = demoIds();
  assert.ok(ids.length >= 6, `${ids.length} demos`);
  await comparisonChosen(page);
  for (const id of ids) await rendered(page, id);
  const count = (path) => requests.filter((p) => p === path).length;
  // One SharedWorker per kind (model, Bayes), each compiling the module once.
  assert.equal(count('/worker.js'), 2, `worker.js fetched ${count('/worker.js')} times`);
  assert.equal(count('/pkg/incontext_bg.wasm'), 2, `the wasm fetched ${count('/pkg/incontext_bg.wasm')} times`);
  // Every model a demo shows (its own, or those it compares; the manifest's default when it names none).
  const used = new Set(await page.evaluate((fallback) => [...document.querySelectorAll('incontext-demo')]
    .flatMap((d) => [d.getAttribute('model') ?? fallback, ...(d.getAttribute('compare') ?? '').split(',')]).filter(Boolean), manifest.default));
  assert.ok(used.size >= 2);
  for (const m of manifest.models.filter((e) => used.has(e.id))) assert.equal(count(`/models/${m.file}`), 1, `${m.file} downloaded ${count(`/models/${m.file}`)} times`);
  // The compare demo of section 4 includes the wide model when the manifest lists it.
  const compare = await page.locator('#demo-compare').getAttribute('compare');
  assert.equal(compare.includes('linear+sinusoid-wide'), manifest.models.some((m) => m.id === 'linear+sinusoid-wide'));
  assert.deepEqual(page.errors, []);
  await context.close();
});

test("the prepared demos: a slider draws the function again, points are read-only, the caption shows", { skip: !hasModel }, async () => {
  const { context, page } = await open();
  const frame = await rendered(page, 'demo-convex');
  const before = await frame.evaluate(() => window.incontext.state);
  assert.equal(before.points.length, 20);
  assert.match(before.truth.family, /^convex\(alpha=0\.5,/);
  assert.equal(await frame.locator('#vary-tag').innerText(), 'outside pretraining');
  // α to 1: a line, inside pretraining; the same x positions, a new curve.
  await frame.locator('#vary-input').fill('1');
  await frame.waitForFunction(() => /alpha=1,/.test(window.incontext.state.truth?.family ?? '') && window.incontext.settled);
  const after = await frame.evaluate(() => window.incontext.state);
  assert.deepEqual(after.points.map((p) => p[0]), before.points.map((p) => p[0]));
  assert.equal(await frame.locator('#vary-tag').innerText(), 'inside pretraining');
  // Read-only: a click on the plot adds nothing.
  const box = await frame.locator('#plot svg').boundingBox();
  await page.locator('#demo-convex').scrollIntoViewIfNeeded();
  const frameBox = await page.locator('#demo-convex').evaluate((el) => el.shadowRoot.querySelector('iframe').getBoundingClientRect().toJSON());
  await page.mouse.click(frameBox.x + box.x + box.width / 2, frameBox.y + box.y + 20);
  await page.waitForTimeout(300);
  assert.equal((await frame.evaluate(() => window.incontext.state)).points.length, 20);
  // The k slider of section 2 reveals more points of the same function.
  const bayes = await rendered(page, 'demo-bayes');
  const k2 = await bayes.evaluate(() => window.incontext.state.points);
  assert.equal(k2.length, 2);
  await bayes.locator('#vary-input').fill('8');
  await bayes.waitForFunction(() => window.incontext.state.points.length === 8 && window.incontext.settled);
  const k8 = await bayes.evaluate(() => window.incontext.state.points);
  // The first two are the same points (links round to a millionth of the points' range).
  k2.forEach((p, i) => p.forEach((v, j) => assert.ok(Math.abs(v - k8[i][j]) < 1e-5, `point ${i}: ${k8[i]} was ${p}`)));
  // Belief and Bayes beside the model; the caption is visible under the frame.
  assert.ok(await bayes.evaluate(() => window.incontext.view.bayes?.familyProbs?.length === 2));
  assert.ok(await page.locator('#demo-bayes').evaluate((el) => el.shadowRoot.querySelector('[part=caption]').getBoundingClientRect().height > 10));
  // The full demo behind the link is editable.
  assert.doesNotMatch(await bayes.locator('#open-full').getAttribute('href'), /ro=1/);
  assert.deepEqual(page.errors, []);
  await context.close();
});

/** Renders every demo, then a full-page screenshot. */
async function screenshot(options, name) {
  const { context, page } = await open(options);
  await comparisonChosen(page);
  for (const id of demoIds()) await rendered(page, id);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${artifacts}/${name}.png`, fullPage: true });
  assert.deepEqual(page.errors, []);
  await context.close();
}

test('screenshots: desktop, phone and dark', { skip: !hasModel }, async () => {
  await screenshot({ viewport: { width: 1280, height: 900 } }, 'article-desktop');
  await screenshot({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }, 'article-phone');
  await screenshot({ viewport: { width: 1280, height: 900 }, colorScheme: 'dark' }, 'article-dark');
});

test('after the first visit the article and its demos work offline', { skip: !hasModel }, async () => {
  const own = await startServer({ root: `${root}www` }); // a fresh origin: no other test's service worker
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    page.errors = [];
    page.on('pageerror', (e) => page.errors.push(e.message));
    await page.goto(`${own.url}article.html`);
    await rendered(page, 'demo-learning');
    // The demos register the service worker after their first prediction; it takes over the
    // article too once installed (every model and the article cached) and active.
    await page.waitForFunction(() => Boolean(navigator.serviceWorker.controller), null, { timeout: 120000, polling: 250 });
    const cached = await page.evaluate(async () => {
      const keys = await (await caches.open((await caches.keys())[0])).keys();
      return keys.map((r) => new URL(r.url).pathname);
    });
    for (const m of manifest.models) assert.ok(cached.includes(`/models/${m.file}`), `${m.file} is not cached`);
    assert.ok(cached.includes('/article.html') && cached.includes('/article.js'));
    await context.setOffline(true);
    await page.reload();
    for (const id of ['demo-learning', 'demo-bayes']) await rendered(page, id);
    assert.deepEqual(page.errors, []);
  } finally {
    await context.close();
    await own.close();
  }
});
