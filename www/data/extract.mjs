// Extracts the two bundled example datasets from the npm package vega-datasets (a dev
// dependency) into small two-column CSVs. Run by `./build.sh wasm`; the outputs are committed
// so the page works from a plain checkout. Usage: node www/data/extract.mjs

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const data = join(here, '..', '..', 'node_modules', 'vega-datasets', 'data');

// Seattle: day of year (1 = 1 January) vs daily maximum temperature (°C), 2012–2015.
const weather = readFileSync(join(data, 'seattle-weather.csv'), 'utf8').trim().split('\n');
const header = weather[0].split(',');
const [iDate, iMax] = [header.indexOf('date'), header.indexOf('temp_max')];
const seattle = ['day of year,max temperature (°C)'];
for (const line of weather.slice(1)) {
  const f = line.split(',');
  const date = new Date(`${f[iDate]}T00:00:00Z`);
  const day = Math.round((date - Date.UTC(date.getUTCFullYear(), 0, 1)) / 86400000) + 1;
  if (Number.isFinite(day) && f[iMax] !== '') seattle.push(`${day},${Number(f[iMax])}`);
}
writeFileSync(join(here, 'seattle-temp-max.csv'), `${seattle.join('\n')}\n`);

// Cars: horsepower vs miles per gallon; rows missing either are dropped.
const cars = JSON.parse(readFileSync(join(data, 'cars.json'), 'utf8'));
const rows = ['horsepower,miles per gallon'];
for (const c of cars) {
  if (Number.isFinite(c.Horsepower) && Number.isFinite(c.Miles_per_Gallon)) rows.push(`${c.Horsepower},${c.Miles_per_Gallon}`);
}
writeFileSync(join(here, 'cars-hp-mpg.csv'), `${rows.join('\n')}\n`);
console.log(`seattle-temp-max.csv: ${seattle.length - 1} rows; cars-hp-mpg.csv: ${rows.length - 1} rows`);
