// Browser half of `./build.sh bench web`. Reads the native timings written by
// `cargo bench --bench web` (benches/web.rs), then in headless Chromium:
//   1. first load of the page without a service worker: bytes transferred (as sent, gzip) and
//      time until the first model prediction is drawn;
//   2. ms per full prediction of the same model on the same seeded contexts in wasm.
// Prints one table and writes target/bench-web/report.json.
//
//   node tests/browser/bench.mjs target/bench-web/native.json

import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { launch, root } from './harness.mjs';

const native = JSON.parse(readFileSync(process.argv[2] ?? `${root}target/bench-web/native.json`, 'utf8'));
const modelBytes = readFileSync(resolve(root, native.model));

const { server, browser, close } = await launch();

try {
  // 1. First load (fresh profile, no service worker, so only what the page itself needs).
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const requests = [];
  context.on('requestfinished', async (request) => {
    const sizes = await request.sizes().catch(() => null);
    if (sizes) requests.push({ url: request.url(), bytes: sizes.responseBodySize + sizes.responseHeadersSize });
  });
  const page = await context.newPage();
  await page.goto(`${server.url}index.html?nosw#pts=-1,0.5;0,-0.2;1,0.4`);
  await page.waitForFunction(() => window.incontext?.settled && window.incontext.view?.model, null, { timeout: 120000 });
  const firstPrediction = await page.evaluate(() => performance.getEntriesByName('incontext:first-prediction')[0]?.startTime);
  const transferred = requests.reduce((s, r) => s + r.bytes, 0);

  // 2. Wasm timings on the contexts the native half used.
  const wasm = await page.evaluate(
    async ({ bytes, family, seed, sigma, runs, rows }) => {
      const lib = await import('./pkg/incontext.js');
      await lib.default();
      const model = lib.Model.load(Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0)));
      const out = [];
      for (const { n, q } of rows) {
        const queries = Float64Array.from({ length: q }, (_, i) => -3 + (6 * i) / (q - 1));
        const ctx = lib.sampleFunction(family, seed, n, sigma, new Float64Array(0));
        const times = [];
        for (let r = 0; r < runs + 3; r += 1) {
          const t0 = performance.now();
          model.predict(ctx.xs, ctx.ys, queries, 1);
          if (r >= 3) times.push(performance.now() - t0);
        }
        times.sort((a, b) => a - b);
        out.push({ n, q, ms: times[Math.floor(times.length / 2)] });
      }
      return out;
    },
    { bytes: modelBytes.toString('base64'), family: native.family, seed: native.seed, sigma: native.sigma, runs: native.runs, rows: native.rows },
  );
  await context.close();

  const rows = native.rows.map((r, i) => ({ n: r.n, q: r.q, native_ms: r.ms, wasm_ms: wasm[i].ms, ratio: wasm[i].ms / r.ms }));
  const pad = (v, w) => String(v).padStart(w);
  console.log(`model: ${native.model} (median of ${native.runs} runs; context: ${native.family}, seed ${native.seed})`);
  console.log(`${pad('n', 4)} ${pad('Q', 5)} ${pad('wasm ms', 9)} ${pad('native ms', 10)} ${pad('wasm/native', 12)}`);
  for (const r of rows) {
    console.log(`${pad(r.n, 4)} ${pad(r.q, 5)} ${pad(r.wasm_ms.toFixed(2), 9)} ${pad(r.native_ms.toFixed(2), 10)} ${pad(r.ratio.toFixed(2), 12)}`);
  }
  console.log(`first load: ${(transferred / 1024).toFixed(0)} KiB transferred (gzip) in ${requests.length} requests before the first prediction; first prediction drawn at ${firstPrediction?.toFixed(0)} ms`);
  for (const r of requests.sort((a, b) => b.bytes - a.bytes).slice(0, 5)) console.log(`  ${pad((r.bytes / 1024).toFixed(1), 7)} KiB  ${r.url.replace(server.url, '')}`);
  writeFileSync(`${root}target/bench-web/report.json`, `${JSON.stringify({ model: native.model, rows, first_load_bytes: transferred, requests, first_prediction_ms: firstPrediction }, null, 2)}\n`);
} finally {
  await close();
}
