// Embedding across sites, as an author would paste README's snippet: an article served from a
// second origin loads incontext-demo.js from the demo's origin. With the header the dev server
// (and www/_headers) sends, the element runs and reports that the demo started; from a host
// that does not send it, the module script is blocked and the fallback iframe inside the
// element shows the demo instead.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { artifacts, launch, root } from './harness.mjs';
import { startServer } from './server.mjs';

let demo; // the demo's origin (with CORS), from launch()
let browser;
let close;
let bare; // the same files from a host without the CORS header
let article; // the article's origin
const articleDir = mkdtempSync(join(tmpdir(), 'incontext-article-'));

before(async () => {
  ({ server: demo, browser, close } = await launch());
  bare = await startServer({ root: `${root}www`, cors: false });
  article = await startServer({ root: articleDir });
});
after(async () => {
  await article?.close();
  await bare?.close();
  await close?.();
});

/** README's snippet: the element, with a plain iframe inside as its fallback. */
function writeArticle(name, base) {
  const points = '-1,0.5;0,0.2;1,-0.4';
  writeFileSync(join(articleDir, name), `<!doctype html><meta charset="utf-8"><title>An article</title>
<h1>An article on another site</h1>
<script type="module" src="${base}incontext-demo.js"></script>
<incontext-demo points="${points}" height="420">
  <iframe src="${base}embed.html#pts=${points}" style="width:100%;height:420px;border:0" title="In-context learning demo"></iframe>
</incontext-demo>
`);
  return `${article.url}${name}`;
}

test('an article on another origin shows the demo through the element', async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(writeArticle('with-cors.html', demo.url));
  await page.waitForFunction(() => customElements.get('incontext-demo') !== undefined, null, { timeout: 30000 });
  await page.waitForFunction(() => document.querySelector('incontext-demo').dataset.ready === 'true', null, { timeout: 60000 });
  const frame = await (await page.waitForSelector('incontext-demo >> iframe')).contentFrame();
  assert.deepEqual(await frame.evaluate(() => window.incontext.state.points), [[-1, 0.5], [0, 0.2], [1, -0.4]]);
  // The fallback iframe (light DOM) is gone once the element runs.
  assert.equal(await page.evaluate(() => document.querySelector('incontext-demo > iframe')), null);
  assert.deepEqual(errors, []);
  await page.screenshot({ path: `${artifacts}/article-cross-origin.png` });
  await page.close();
});

test('from a host without the CORS header the fallback iframe shows the demo', async () => {
  const page = await browser.newPage();
  await page.goto(writeArticle('without-cors.html', bare.url));
  await page.waitForFunction(() => document.querySelector('incontext-demo > iframe')?.getBoundingClientRect().height > 400);
  assert.equal(await page.evaluate(() => customElements.get('incontext-demo')), undefined);
  const frame = page.frames().find((f) => f.url().startsWith(`${bare.url}embed.html`));
  await frame.waitForFunction(() => window.incontext?.settled === true, null, { timeout: 60000 });
  assert.deepEqual(await frame.evaluate(() => window.incontext.state.points), [[-1, 0.5], [0, 0.2], [1, -0.4]]);
  await page.close();
});
