// Driver of `./build.sh bench web --vs-ort`: this project's wasm against onnxruntime-web's wasm
// backend on the same model (the ONNX export of bench/export_onnx.py), in the same headless
// Chromium, on the same inputs. build.sh installs everything, exports the model and measures
// the native GEMM first; then:
//
//   node bench/vs-ort/run.mjs --model M.safetensors --onnx target/bench-web/model.onnx \
//        --roofline target/bench-web/gemm.json [--runs 41] [--warmup 5] [--cold 7]
//
// 1. stages target/bench-web/vs-ort-site/ (this folder's pages, www/pkg/, the model, the ONNX
//    export, onnxruntime-web's wasm build from node_modules): nothing of it is served by the
//    demo page;
// 2. cold start: a fresh browser context per load (empty HTTP cache), each runtime alone, loads
//    alternating: time from navigation to the first full curve (n = 40, Q = 256), bytes
//    transferred;
// 3. one page with both runtimes: agreement of the outputs (bar logits to 1e-4), then ms per
//    full curve at n = 10, 20, 40 and Q = 128, 256, median of `runs` interleaved calls each;
// 4. the roofline: matrix-product FLOPs of one curve counted from the architecture, GFLOP/s of
//    each runtime, against the native GEMM's.
//
// Prints the tables and writes target/bench-web/vs-ort.json and vs-ort.md.

import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import { basename, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { launch, root } from '../../tests/browser/harness.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const modelPath = resolve(root, opt('model', 'www/models/linear+sinusoid.safetensors'));
const onnxPath = resolve(root, opt('onnx', 'target/bench-web/model.onnx'));
const roofline = JSON.parse(readFileSync(resolve(root, opt('roofline', 'target/bench-web/gemm.json')), 'utf8'));
const RUNS = Number(opt('runs', '41'));
const WARMUP = Number(opt('warmup', '5'));
const COLD = Number(opt('cold', '7'));
const TOL = 1e-4;

/** The contexts of benches/web.rs: one seeded sinusoid, noise 0.1. */
const FAMILY = 'sinusoid(omega_lo=1.3,omega_hi=1.3)';
const SEED = 1;
const SIGMA = 0.1;
const CONTEXTS = [10, 20, 40];
const QUERIES = [128, 256];

// 1. The site.
const site = `${root}target/bench-web/vs-ort-site/`;
rmSync(site, { recursive: true, force: true });
mkdirSync(`${site}pkg`, { recursive: true });
mkdirSync(`${site}ort`, { recursive: true });
const ORT_DIST = `${root}node_modules/onnxruntime-web/dist/`;
const files = {
  ours: { runtime: ['pkg/incontext.js', 'pkg/incontext_bg.wasm'], model: ['model.safetensors'] },
  ort: { runtime: ['ort/ort.wasm.min.mjs', 'ort/ort-wasm-simd-threaded.mjs', 'ort/ort-wasm-simd-threaded.wasm'], model: ['model.onnx', 'model.onnx.json'] },
};
for (const f of ['index.html', 'cold.html', 'bench.js']) copyFileSync(`${root}bench/vs-ort/${f}`, `${site}${f}`);
for (const f of files.ours.runtime) copyFileSync(`${root}www/${f}`, `${site}${f}`);
for (const f of files.ort.runtime) copyFileSync(`${ORT_DIST}${basename(f)}`, `${site}${f}`);
copyFileSync(modelPath, `${site}model.safetensors`);
copyFileSync(onnxPath, `${site}model.onnx`);
copyFileSync(`${onnxPath}.json`, `${site}model.onnx.json`);
const sizes = (list) => {
  const raw = list.reduce((s, f) => s + statSync(`${site}${f}`).size, 0);
  const gz = list.reduce((s, f) => s + gzipSync(readFileSync(`${site}${f}`), { level: 9 }).length, 0);
  return { raw, gzip: gz };
};
const bytes = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, { runtime: sizes(v.runtime), model: sizes(v.model) }]));
const ortVersion = JSON.parse(readFileSync(`${root}node_modules/onnxruntime-web/package.json`, 'utf8')).version;

const median = (sorted) => sorted[Math.floor(sorted.length / 2)];
const load = () => loadavg().map((v) => v.toFixed(2)).join(', ');
const loadAtStart = load();

const { server, browser, close } = await launch({ site });
try {
  // The server gzips on first request and caches: warm it so no load pays for compression.
  for (const f of [...files.ours.runtime, ...files.ours.model, ...files.ort.runtime, ...files.ort.model, 'bench.js', 'cold.html']) {
    await (await fetch(`${server.url}${f}`, { headers: { 'Accept-Encoding': 'gzip' } })).arrayBuffer();
  }

  // 3a. The contexts, from the project's own seeded draw (as benches/web.rs).
  const setup = await browser.newContext();
  const page = await setup.newPage();
  page.on('console', (m) => m.type() === 'error' && console.error(`page: ${m.text()}`));
  await page.goto(`${server.url}index.html`);
  const contexts = await page.evaluate(
    async ({ family, seed, sigma, ns }) => {
      const lib = await import('./pkg/incontext.js');
      await lib.default();
      return ns.map((n) => {
        const c = lib.sampleFunction(family, seed, n, sigma, new Float64Array(0));
        return { n, xs: Array.from(c.xs), ys: Array.from(c.ys) };
      });
    },
    { family: FAMILY, seed: SEED, sigma: SIGMA, ns: CONTEXTS },
  );
  const rows = contexts.flatMap((c) => QUERIES.map((q) => ({ ...c, q })));
  await setup.close();

  // 2. Cold start, alternating runtimes, a fresh context (empty cache) per load.
  const coldCtx = rows.find((r) => r.n === 40 && r.q === 256);
  const hash = encodeURIComponent(JSON.stringify({ xs: coldCtx.xs, ys: coldCtx.ys, q: coldCtx.q }));
  const cold = { ours: [], ort: [] };
  const coldBytes = { ours: 0, ort: 0 };
  const coldRequests = { ours: [], ort: [] };
  for (let i = 0; i < COLD; i += 1) {
    for (const runtime of i % 2 === 0 ? ['ours', 'ort'] : ['ort', 'ours']) {
      const context = await browser.newContext();
      const requests = [];
      context.on('requestfinished', async (request) => {
        const s = await request.sizes().catch(() => null);
        if (s) requests.push({ url: request.url().replace(server.url, ''), bytes: s.responseBodySize + s.responseHeadersSize });
      });
      const p = await context.newPage();
      p.on('pageerror', (e) => console.error(`cold ${runtime}: ${e.message}`));
      await p.goto(`${server.url}cold.html?runtime=${runtime}#${hash}`);
      const first = await p.waitForFunction(() => window.firstPrediction, null, { timeout: 120000 }).then((h) => h.jsonValue());
      cold[runtime].push(first.ms);
      await context.close();
      coldBytes[runtime] = requests.reduce((s, r) => s + r.bytes, 0);
      coldRequests[runtime] = requests;
    }
  }
  for (const t of Object.values(cold)) t.sort((a, b) => a - b);

  // 3b. Agreement and timings in one page.
  const both = await browser.newContext();
  const bp = await both.newPage();
  bp.on('console', (m) => m.type() === 'error' && console.error(`page: ${m.text()}`));
  await bp.goto(`${server.url}index.html`);
  const measured = await bp.evaluate(
    async ({ rows, runs, warmup }) => {
      const b = await import('./bench.js');
      const ours = await b.loadOurs();
      const ort = await b.loadOrt();
      const agreement = await b.agreement(ours, ort, rows);
      const timings = await b.timeBoth(ours, ort, rows, { warmup, runs });
      return { agreement, timings, userAgent: navigator.userAgent };
    },
    { rows, runs: RUNS, warmup: WARMUP },
  );
  await both.close();
  const loadAtEnd = load();

  // 4. FLOPs of one curve, counted from the architecture (matrix products only: the ONNX
  // graph's; LayerNorm, softmax, GELU and the quantiles are not counted).
  const meta = JSON.parse(readFileSync(`${onnxPath}.json`, 'utf8'));
  const arch = meta.config;
  const flops = (n, q) => {
    const { n_embd: e, n_layer: l, n_head: h, n_dims: d } = arch;
    const k = meta.borders.length - 1;
    const f = meta.families.length;
    const block = 2 * (3 * e * e + e * e + 4 * e * e + 4 * e * e); // per token: qkv, proj, fc, proj
    let total = 2 * (n + q) * (d + 1) * e; // read-in
    total += n * ((l - 1) * block + 2 * 3 * e * e); // the context (last block: keys and values only)
    total += (l - 1) * 2 * 2 * n * n * e; // context attention, QKᵀ and AV over all heads
    total += q * l * block; // the queries
    total += l * 2 * 2 * q * (n + 1) * e; // query attention against the context and itself
    total += 2 * q * e * (k + f) + 2 * q * k; // heads and the mean
    return total;
  };

  const table = measured.timings.map((t) => {
    const fl = flops(t.n, t.q);
    const oursMs = median(t.times.incontext);
    const ortMs = median(t.times['onnxruntime-web']);
    return {
      n: t.n,
      q: t.q,
      ours_ms: oursMs,
      ort_ms: ortMs,
      ratio: oursMs / ortMs,
      ours_spread: [t.times.incontext[Math.floor(t.times.incontext.length / 4)], t.times.incontext[Math.floor((3 * t.times.incontext.length) / 4)]],
      ort_spread: [t.times['onnxruntime-web'][Math.floor(t.times['onnxruntime-web'].length / 4)], t.times['onnxruntime-web'][Math.floor((3 * t.times['onnxruntime-web'].length) / 4)]],
      mflops: fl / 1e6,
      ours_gflops: fl / oursMs / 1e6,
      ort_gflops: fl / ortMs / 1e6,
    };
  });
  const worstAgree = (key) => Math.max(...measured.agreement.map((a) => a[key]));
  const agree = Object.fromEntries(['bar_logits', 'family_logits', 'probs', 'mean', 'quantiles', 'quantiles_rel_width', 'family_probs'].map((k) => [k, worstAgree(k)]));
  const big = table.find((r) => r.n === 40 && r.q === 256);
  const kib = (b) => `${(b / 1024).toFixed(0)} KiB`;
  const cpu = cpus()[0]?.model ?? 'unknown CPU';

  const lines = [];
  const say = (s = '') => lines.push(s);
  say(`incontext (wasm SIMD128) vs onnxruntime-web ${ortVersion} (wasm backend, 1 thread, SIMD, no cross-origin isolation)`);
  say(`model: ${modelPath.replace(root, '')} (${arch.n_layer} × ${arch.n_embd}, ${arch.n_head} heads, ${meta.borders.length - 1} bins, prefix encoding); ONNX: ${onnxPath.replace(root, '')}`);
  say(`browser: ${measured.userAgent}`);
  say(`CPU: ${cpu}, ${cpus().length} cores; load average (1, 5, 15 min) at start ${loadAtStart}, at end ${loadAtEnd}`);
  say(`context: ${FAMILY}, seed ${SEED}, σ ${SIGMA}; queries evenly on [−3, 3]; median of ${RUNS} interleaved runs after ${WARMUP} warm-up (interquartile range in brackets)`);
  say();
  say('| n | Q | incontext ms | onnxruntime-web ms | incontext / ort | MFLOP | incontext GFLOP/s | ort GFLOP/s |');
  say('|---|---|---|---|---|---|---|---|');
  for (const r of table) {
    const spread = (s) => `${s[0].toFixed(2)}–${s[1].toFixed(2)}`;
    say(`| ${r.n} | ${r.q} | ${r.ours_ms.toFixed(2)} (${spread(r.ours_spread)}) | ${r.ort_ms.toFixed(2)} (${spread(r.ort_spread)}) | ${r.ratio.toFixed(2)} | ${r.mflops.toFixed(1)} | ${r.ours_gflops.toFixed(1)} | ${r.ort_gflops.toFixed(1)} |`);
  }
  say();
  say('| | incontext | onnxruntime-web | ratio (ort / incontext) |');
  say('|---|---|---|---|');
  const ratio = (a, b) => (b / a).toFixed(1);
  say(`| runtime bytes, raw | ${kib(bytes.ours.runtime.raw)} | ${kib(bytes.ort.runtime.raw)} | ${ratio(bytes.ours.runtime.raw, bytes.ort.runtime.raw)} |`);
  say(`| runtime bytes, gzip -9 | ${kib(bytes.ours.runtime.gzip)} | ${kib(bytes.ort.runtime.gzip)} | ${ratio(bytes.ours.runtime.gzip, bytes.ort.runtime.gzip)} |`);
  say(`| model bytes, raw / gzip -9 | ${kib(bytes.ours.model.raw)} / ${kib(bytes.ours.model.gzip)} | ${kib(bytes.ort.model.raw)} / ${kib(bytes.ort.model.gzip)} | |`);
  say(`| first load, transferred (gzip 6) | ${kib(coldBytes.ours)} | ${kib(coldBytes.ort)} | ${ratio(coldBytes.ours, coldBytes.ort)} |`);
  say(`| navigation → first curve (n = 40, Q = 256), cold cache, median of ${COLD} | ${median(cold.ours).toFixed(0)} ms | ${median(cold.ort).toFixed(0)} ms | ${ratio(median(cold.ours), median(cold.ort))} |`);
  say();
  say(
    `agreement over all ${measured.agreement.length} rows (max |incontext − ort|): bar logits ${agree.bar_logits.toExponential(1)} (tolerance ${TOL}), ` +
      `family logits ${agree.family_logits.toExponential(1)}, bin probabilities ${agree.probs.toExponential(1)}, means ${agree.mean.toExponential(1)}, ` +
      `quantiles ${agree.quantiles.toExponential(1)} (${agree.quantiles_rel_width.toExponential(1)} of the widest 90% interval), family probabilities ${agree.family_probs.toExponential(1)}`,
  );
  say(
    `roofline (n = 40, Q = 256: ${big.mflops.toFixed(1)} MFLOP of matrix products per curve): incontext ${big.ours_gflops.toFixed(1)} GFLOP/s, ` +
      `onnxruntime-web ${big.ort_gflops.toFixed(1)} GFLOP/s; native f32 GEMM on this CPU (numpy ${roofline.numpy}, ${roofline.blas}, 1 thread): ` +
      `${roofline.square.gflops.toFixed(1)} GFLOP/s at ${roofline.square.size}³, ${roofline.curve.gflops.toFixed(1)} GFLOP/s on this curve's own products ` +
      `(${roofline.curve.ms.toFixed(2)} ms); incontext reaches ${((100 * big.ours_gflops) / roofline.square.gflops).toFixed(0)}% of the native peak, ` +
      `onnxruntime-web ${((100 * big.ort_gflops) / roofline.square.gflops).toFixed(0)}%`,
  );
  const text = lines.join('\n');
  console.log(text);
  const failed = agree.bar_logits > TOL;
  if (failed) console.error(`vs-ort: the bar logits disagree by ${agree.bar_logits} > ${TOL}`);
  writeFileSync(`${root}target/bench-web/vs-ort.md`, `${text}\n`);
  writeFileSync(
    `${root}target/bench-web/vs-ort.json`,
    `${JSON.stringify({ model: modelPath.replace(root, ''), ort_version: ortVersion, load: { start: loadAtStart, end: loadAtEnd }, runs: RUNS, warmup: WARMUP, table, bytes, cold, cold_bytes: coldBytes, cold_requests: coldRequests, agreement: measured.agreement, roofline, user_agent: measured.userAgent }, null, 2)}\n`,
  );
  process.exitCode = failed ? 1 : 0;
} finally {
  await close();
}
