// Publishes the full-scale results of `incontext reproduce` (docs/results/E*.json and their
// figures) to the page: copies the SVGs to www/results/ and writes www/results/index.json,
// which the Experiments view (www/lib/experiments.js) lists. Toy-scale results
// (docs/results/quick/) are never published. Run by `./build.sh wasm`.
//
//   node docs/publish-results.mjs

import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const source = `${root}docs/results`;
const target = `${root}www/results`;

rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
const files = existsSync(source) ? readdirSync(source).filter((f) => /^E\d+\.json$/.test(f)).sort((a, b) => parseInt(a.slice(1), 10) - parseInt(b.slice(1), 10)) : [];
const experiments = [];
for (const file of files) {
  const result = JSON.parse(readFileSync(`${source}/${file}`, 'utf8'));
  if (result.quick || !result.figures?.length) continue;
  for (const figure of result.figures) copyFileSync(`${source}/${figure}`, `${target}/${figure}`);
  const models = result.models
    .filter((m) => m.source !== 'missing')
    .map((m) => `${m.name} (${m.source === 'zoo' ? 'zoo model' : 'trained'}, ${m.steps_trained} steps)`);
  const missing = result.models.filter((m) => m.source === 'missing').map((m) => m.name);
  const note = `${result.prompts} prompts per point; ${models.join(', ')}${missing.length ? `; not yet trained: ${missing.join(', ')}` : ''}. Regenerate: ${result.command}`;
  experiments.push({ experiment: result.experiment, title: result.title, note, figures: result.figures });
}
writeFileSync(`${target}/index.json`, `${JSON.stringify({ experiments }, null, 2)}\n`);
console.log(`published ${experiments.length} experiments to www/results/`);
