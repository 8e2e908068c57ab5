// The page's view state: one plain object mirrored into the URL hash, so any view is a
// shareable link (TensorFlow Playground style). Parsing is defensive: every value is checked
// and clamped, and a bad value falls back to the default with a warning, never an exception.

import { MAX_ABS_VALUE } from './csv.js';

/** Bounds applied when reading state from a URL. */
export const LIMITS = Object.freeze({
  maxPoints: 400, // points kept from a URL (the model takes fewer; the page says so)
  maxAbs: MAX_ABS_VALUE, // |x|, |y| bound for a point: the same as for pasted data
  maxLabel: 60, // characters of an axis label
  maxFamily: 300, // characters of a family spec
  maxCompare: 4, // models side by side in the compare view
  maxHash: 20000, // characters of the whole hash
});

/** Boolean view options and their defaults. */
export const FLAGS = Object.freeze({ bands: true, heat: false, ls: true, bayes: true, covering: true, std: false, xdate: false });

/**
 * The default view: no points, bands and the references shown (`covering`: the Bayes posterior
 * that knows a sampled function's true family).
 */
export function defaultState() {
  return {
    model: '', // model id from models/manifest.json ('' = the manifest's default)
    points: [], // [[x, y], ...] in display units
    ...FLAGS,
    xLabel: '',
    yLabel: '',
    source: '', // where the points came from (a dataset name), shown under the plot
    truth: null, // {family, seed, sigma}: the sampled true function, drawn dashed
    compare: [], // model ids shown side by side (the compare view), in order
    use: 'spread', // which points form the context when there are more than a model takes (lib/csv.js CONTEXT_CHOICES)
  };
}

/** Rounds to 6 significant digits for compact links. */
export function compact(v) {
  return Number(v.toPrecision(6));
}

/**
 * Points as stored and linked: each coordinate rounded to a millionth of the points' own range
 * in it (6 significant digits of the data's spread, not of the values: timestamps near 1.7e9
 * keep their seconds). A shared link reproduces exactly the points the page used.
 */
export function roundPoints(points) {
  const step = [0, 1].map((j) => {
    const v = points.map((p) => p[j]);
    const range = Math.max(...v) - Math.min(...v);
    const scale = range > 0 ? range : Math.max(...v.map(Math.abs), 1);
    return Math.max(0, Math.min(15, Math.ceil(-Math.log10(scale * 1e-6))));
  });
  return points.map((p) => p.map((v, j) => Number(v.toFixed(step[j]))));
}

/** Serialises a state into a hash string (without '#'), only non-default values. */
export function encodeHash(state) {
  const d = defaultState();
  const parts = [];
  if (state.model) parts.push(`model=${encodeURIComponent(state.model)}`);
  if (state.points.length) {
    parts.push(`pts=${roundPoints(state.points).map(([x, y]) => `${x},${y}`).join(';')}`);
  }
  for (const key of Object.keys(FLAGS)) {
    if (state[key] !== d[key]) parts.push(`${key}=${state[key] ? 1 : 0}`);
  }
  for (const key of ['xLabel', 'yLabel', 'source']) {
    if (state[key]) parts.push(`${key}=${encodeURIComponent(state[key])}`);
  }
  if (state.use !== 'spread') parts.push(`use=${state.use}`);
  if (state.compare.length) parts.push(`compare=${state.compare.map(encodeURIComponent).join(',')}`);
  if (state.truth) {
    const { family, seed, sigma } = state.truth;
    parts.push(`truth=${encodeURIComponent(family)}`, `seed=${seed}`, `sigma=${compact(sigma)}`);
  }
  return parts.join('&');
}

function decode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/** A finite number within ±LIMITS.maxAbs, or null. */
function number(text) {
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text.trim())) return null;
  const v = Number(text);
  return Number.isFinite(v) && Math.abs(v) <= LIMITS.maxAbs ? v : null;
}

/** Printable text without control characters, trimmed to `max` characters. */
function label(text, max) {
  return text.replace(/[\u0000-\u001f\u007f<>]/g, '').slice(0, max);
}

/**
 * Parses a hash (with or without '#') into `{state, warnings}`. `modelIds` lists the models
 * of the manifest; an unknown model falls back to '' (the default). Never throws.
 */
export function parseHash(hash, modelIds = []) {
  const state = defaultState();
  const warnings = [];
  let text = String(hash ?? '');
  if (text.startsWith('#')) text = text.slice(1);
  if (text.length > LIMITS.maxHash) {
    warnings.push(`The link's state is ${text.length} characters long; only the first ${LIMITS.maxHash} were read.`);
    text = text.slice(0, LIMITS.maxHash);
  }
  const seen = new Map();
  for (const part of text.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    const value = decode(eq < 0 ? '' : part.slice(eq + 1));
    if (value === null) {
      warnings.push(`Ignored '${label(key, 20)}': its value is not valid URL encoding.`);
      continue;
    }
    seen.set(key, value);
  }
  for (const [key, value] of seen) {
    if (key === 'model') {
      if (modelIds.includes(value)) state.model = value;
      else warnings.push(`Unknown model '${label(value, 40)}'; showing the default model.`);
    } else if (key === 'pts') {
      const items = value.split(';').filter((s) => s.trim() !== '');
      let bad = 0;
      for (const item of items.slice(0, LIMITS.maxPoints)) {
        const xy = item.split(',');
        const x = xy.length === 2 ? number(xy[0]) : null;
        const y = xy.length === 2 ? number(xy[1]) : null;
        if (x === null || y === null) bad += 1;
        else state.points.push([x, y]);
      }
      if (bad) warnings.push(`Ignored ${bad} malformed point${bad > 1 ? 's' : ''} in the link.`);
      if (items.length > LIMITS.maxPoints) {
        warnings.push(`The link has ${items.length} points; kept the first ${LIMITS.maxPoints}.`);
      }
    } else if (Object.hasOwn(FLAGS, key)) {
      if (value === '1' || value === '0') state[key] = value === '1';
      else warnings.push(`Ignored '${key}=${label(value, 20)}' (expected 0 or 1).`);
    } else if (key === 'xLabel' || key === 'yLabel' || key === 'source') {
      state[key] = label(value, LIMITS.maxLabel);
    } else if (key === 'use') {
      if (['spread', 'first', 'recent'].includes(value)) state.use = value;
      else warnings.push(`Ignored 'use=${label(value, 20)}' (expected spread, first or recent).`);
    } else if (key === 'compare') {
      const ids = value.split(',').filter((id) => id !== '');
      const known = [...new Set(ids.filter((id) => modelIds.includes(id)))];
      if (known.length < ids.length) warnings.push(`Ignored unknown models in the comparison: ${ids.filter((id) => !modelIds.includes(id)).map((id) => `'${label(id, 40)}'`).join(', ')}.`);
      if (known.length > LIMITS.maxCompare) warnings.push(`The comparison shows at most ${LIMITS.maxCompare} models; kept the first ${LIMITS.maxCompare}.`);
      state.compare = known.slice(0, LIMITS.maxCompare);
    } else if (key === 'truth' || key === 'seed' || key === 'sigma') {
      // Read together below.
    } else {
      warnings.push(`Ignored unknown setting '${label(key, 20)}'.`);
    }
  }
  if (seen.has('truth')) {
    const family = seen.get('truth');
    const seed = Number(seen.get('seed'));
    const sigma = number(seen.get('sigma') ?? '0');
    const familyOk = family.length <= LIMITS.maxFamily && /^[a-z_]+(\([a-z0-9_=.,()\s-]*\))?$/i.test(family);
    if (familyOk && Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32 && sigma !== null && sigma >= 0 && sigma <= 10) {
      state.truth = { family, seed, sigma };
    } else {
      warnings.push('Ignored the sampled function in the link (malformed family, seed or noise).');
    }
  }
  return { state, warnings };
}
