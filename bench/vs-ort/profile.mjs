// V8 CPU profile of one runtime's full curve (n = 40, Q = 256 by default) in headless Chromium,
// summarised as self time per function: where a prediction's milliseconds go.
//
//   node bench/vs-ort/profile.mjs [--runtime ours|ort] [--pkg DIR] [--seconds 4] [--n 40] [--q 256]
//
// Uses the site that bench/vs-ort/run.mjs staged (target/bench-web/vs-ort-site/). `--pkg DIR`
// swaps in another build of this project's package for the profile, e.g. one with function
// names kept (the shipped wasm has no name section; `./build.sh bench web --vs-ort --profile` makes one
// with `wasm-bindgen --keep-debug` and `wasm-opt -g`). Prints the top functions and writes
// target/bench-web/profile-<runtime>.json (the whole profile) and profile-<runtime>.md.

import { cpSync, existsSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { launch, root } from '../../tests/browser/harness.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const runtime = opt('runtime', 'ours');
const seconds = Number(opt('seconds', '4'));
const n = Number(opt('n', '40'));
const q = Number(opt('q', '256'));
const site = `${root}target/bench-web/vs-ort-site/`;
if (!existsSync(`${site}bench.js`)) {
  console.error('profile: run `./build.sh bench web --vs-ort` first (it stages target/bench-web/vs-ort-site/)');
  process.exit(2);
}
if (opt('pkg')) cpSync(resolve(root, opt('pkg')), `${site}pkg`, { recursive: true });

const { server, browser, close } = await launch({ site });
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.url}index.html`);
  await page.evaluate(
    async ({ runtime, n, q }) => {
      const b = await import('./bench.js');
      const ours = await b.loadOurs();
      const rt = runtime === 'ort' ? await b.loadOrt() : ours;
      const c = ours.lib.sampleFunction('sinusoid(omega_lo=1.3,omega_hi=1.3)', 1, n, 0.1, new Float64Array(0));
      window.call = () => rt.predict(c.xs, c.ys, b.grid(q));
      for (let i = 0; i < 40; i += 1) await window.call(); // warm-up, optimised tier
    },
    { runtime, n, q },
  );
  const cdp = await context.newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 50 });
  await cdp.send('Profiler.start');
  const calls = await page.evaluate(async (ms) => {
    let count = 0;
    for (const t0 = performance.now(); performance.now() - t0 < ms; count += 1) await window.call();
    return count;
  }, seconds * 1000);
  const { profile } = await cdp.send('Profiler.stop');
  await context.close();

  // Self time per function: samples × their time deltas, by node, then by function name.
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const frame = nodes.get(id).callFrame;
    const name = frame.functionName || `(anonymous ${frame.url.split('/').pop()}:${frame.lineNumber})`;
    if (name === '(idle)' || name === '(program)' || name === '(garbage collector)' || name === '(root)') {
      if (name !== '(idle)') selfUs.set(name, (selfUs.get(name) ?? 0) + dt);
      if (name !== '(idle)') total += dt;
      return;
    }
    selfUs.set(name, (selfUs.get(name) ?? 0) + dt);
    total += dt;
  });
  const top = [...selfUs.entries()].sort((a, b) => b[1] - a[1]);
  const perCall = (us) => us / 1000 / calls;
  const lines = [
    `V8 CPU profile: ${runtime === 'ort' ? 'onnxruntime-web' : 'incontext'}, full curve n = ${n}, Q = ${q}, ${calls} calls in ${seconds} s ` +
      `(${perCall(total).toFixed(2)} ms per call sampled); load average ${loadavg().map((v) => v.toFixed(2)).join(', ')}`,
    '',
    '| self ms per call | share | function |',
    '|---|---|---|',
    ...top.slice(0, 30).map(([name, us]) => `| ${perCall(us).toFixed(3)} | ${((100 * us) / total).toFixed(1)}% | \`${name.replaceAll('|', '\\|').slice(0, 140)}\` |`),
  ];
  console.log(lines.join('\n'));
  writeFileSync(`${root}target/bench-web/profile-${runtime}.md`, `${lines.join('\n')}\n`);
  writeFileSync(`${root}target/bench-web/profile-${runtime}.json`, JSON.stringify(profile));
} finally {
  await close();
}
