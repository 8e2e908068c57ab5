// Browser half of `./build.sh bench gpu`: ms per full prediction (context
// prefix + Q queries) of the same seeded model on the same inputs (written by `cargo bench
// --bench gpu` to target/bench-gpu/) on WebGPU (GpuModel) and on wasm SIMD (Model), in headless
// Chromium with --enable-unsafe-webgpu. Its WebGPU adapter is SwiftShader, a CPU emulation: the
// WebGPU times show that the path runs in a browser, not how fast a GPU is.
//
//   node tests/browser/bench-gpu.mjs target/bench-gpu/inputs.json

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { launch, root } from './harness.mjs';

const inputs = JSON.parse(readFileSync(process.argv[2] ?? `${root}target/bench-gpu/inputs.json`, 'utf8'));
const modelBytes = readFileSync(resolve(root, inputs.model));
const RUNS = 5;
const WARMUP = 2;

const { server, browser, close } = await launch({ webgpu: true });

try {
  const context = await browser.newContext({ serviceWorkers: 'block' });
  const page = await context.newPage();
  // A blank page of the server's origin, so the module and its wasm load as on the demo page.
  await context.route('**/bench-gpu.html', (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>bench gpu</title>' }));
  await page.goto(`${server.url}bench-gpu.html`);
  const out = await page.evaluate(
    async ({ bytes, inputs, runs, warmup }) => {
      const lib = await import('./pkg/incontext.js');
      await lib.default();
      const file = Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0));
      const cpu = lib.Model.load(file);
      const gpu = await lib.GpuModel.load(file);
      const { d } = inputs;
      const xs = Float64Array.from(inputs.xs);
      const ys = Float64Array.from(inputs.ys);
      const median = async (f) => {
        const times = [];
        for (let r = 0; r < warmup + runs; r += 1) {
          const t0 = performance.now();
          await f();
          if (r >= warmup) times.push(performance.now() - t0);
        }
        times.sort((a, b) => a - b);
        return times[Math.floor(times.length / 2)];
      };
      const rows = [];
      for (const q of inputs.q) {
        const queries = Float64Array.from(inputs.queries.slice(0, q * d));
        const wasmMs = await median(() => cpu.predict(xs, ys, queries, d));
        const gpuMs = await median(() => gpu.predict(xs, ys, queries, d));
        const a = cpu.predict(xs, ys, queries, d);
        const b = await gpu.predict(xs, ys, queries, d);
        const maxDp = a.probs.reduce((w, v, i) => Math.max(w, Math.abs(v - b.probs[i])), 0);
        rows.push({ q, wasmMs, gpuMs, maxDp });
      }
      return { adapter: gpu.adapter(), n: ys.length, rows };
    },
    { bytes: modelBytes.toString('base64'), inputs, runs: RUNS, warmup: WARMUP },
  );
  const { adapter } = out;
  console.log(`browser: headless Chromium, n = ${out.n} context pairs, d = ${inputs.d}; median of ${RUNS} runs`);
  console.log(`WebGPU adapter: ${adapter.name || '(unnamed)'} ${adapter.deviceType}${adapter.software ? ' — CPU emulation: correctness, not GPU speed' : ''}`);
  console.log(`${'Q'.padStart(5)} | ${'wasm SIMD ms'.padStart(12)} | ${'WebGPU ms'.padStart(10)} | ${'max |Δp|'.padStart(9)}`);
  for (const r of out.rows) {
    console.log(`${String(r.q).padStart(5)} | ${r.wasmMs.toFixed(2).padStart(12)} | ${r.gpuMs.toFixed(2).padStart(10)} | ${r.maxDp.toExponential(1).padStart(9)}`);
  }
} finally {
  await close();
}
