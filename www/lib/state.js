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

/** A family text as links may carry it (the wasm parser validates it further). */
const FAMILY_TEXT = /^[a-z_]+(\([a-z0-9_=.,()\s-]*\))?$/i;

/**
 * Value types of the view state: `parse(text, modelIds)` returns the value or undefined (with
 * `expect` saying what was expected), `encode(value)` the URL text.
 */
const TYPES = {
  flag: { parse: (v) => (v === '1' ? true : v === '0' ? false : undefined), encode: (b) => (b ? '1' : '0'), expect: '0 or 1' },
  label: { parse: (v) => label(v, LIMITS.maxLabel), encode: encodeURIComponent },
  model: { parse: (v, ids) => (ids.includes(v) ? v : undefined), encode: encodeURIComponent, expect: 'a model of this page' },
  family: {
    parse: (v) => (v.length <= LIMITS.maxFamily && FAMILY_TEXT.test(v) ? v : undefined),
    encode: encodeURIComponent,
    expect: 'a family such as linear(bias)',
  },
  choice: (...values) => ({ parse: (v) => (values.includes(v) ? v : undefined), encode: String, expect: values.join(', ') }),
  number: (lo, hi) => ({ parse: (v) => ((x) => (x !== null && x >= lo && x <= hi ? x : undefined))(number(v)), encode: (x) => String(compact(x)), expect: `a number in [${lo}, ${hi}]` }),
  integer: (lo, hi) => ({ parse: (v) => (/^\d+$/.test(v) && +v >= lo && +v <= hi ? +v : undefined), encode: String, expect: `a whole number in [${lo}, ${hi}]` }),
};

/**
 * The view state, one row per field: `[field, URL key, type, default, control, what it is]`.
 * `control` is `[page feature, element id]` of the page control that shows the field (lib/page.js
 * FEATURES; null: none). Encoding, parsing, defaults and the page's controls (lib/controls.js)
 * are derived from this table (points, the compared models and the sampled function, which have
 * structure, are read by their own code below).
 */
export const FIELDS = Object.freeze([
  ['model', 'model', TYPES.model, '', null, "model id from models/manifest.json ('' = the manifest's default)"],
  ['bands', 'bands', TYPES.flag, true, ['show', 'show-bands'], '50% / 90% bands'],
  ['heat', 'heat', TYPES.flag, false, ['show', 'show-heat'], 'density heat map'],
  ['ls', 'ls', TYPES.flag, true, ['show', 'show-ls'], 'least squares'],
  ['bayes', 'bayes', TYPES.flag, true, ['show', 'show-bayes'], 'Bayes posterior of the pretraining prior'],
  ['covering', 'covering', TYPES.flag, true, ['show', 'show-covering'], 'Bayes posterior that knows a sampled function\'s family'],
  ['std', 'std', TYPES.flag, false, ['show', 'show-std'], 'standardise the points'],
  ['xdate', 'xdate', TYPES.flag, false, null, 'x holds dates (days since 1970-01-01)'],
  ['xLabel', 'xLabel', TYPES.label, '', null, 'x axis label'],
  ['yLabel', 'yLabel', TYPES.label, '', null, 'y axis label'],
  ['source', 'source', TYPES.label, '', null, 'where the points came from, shown under the plot'],
  ['use', 'use', TYPES.choice('spread', 'first', 'recent'), 'spread', ['context', 'use'], 'which points form the context (lib/csv.js CONTEXT_CHOICES)'],
  ['family', 'family', TYPES.family, '', ['sampling', 'family'], '"Sample a function" family (\'\' = the mixture\'s first)'],
  ['k', 'k', TYPES.integer(1, 1000), 10, ['sampling', 'k'], 'points revealed by a draw'],
  ['alpha', 'alpha', TYPES.number(0, 1), 0.5, ['sampling', 'alpha'], 'convex combination weight α'],
  ['convexA', 'f1', TYPES.family, '', ['sampling', 'convex-a'], 'first family of the convex combination (\'\' = default)'],
  ['convexB', 'f2', TYPES.family, '', ['sampling', 'convex-b'], 'second family of the convex combination (\'\' = default)'],
  ['omega', 'omega', TYPES.number(0.1, 8), 1.5, ['sampling', 'omega'], 'sinusoid frequency ω of the out-of-distribution draw'],
  ['vary', 'vary', TYPES.choice('none', 'alpha', 'omega', 'k'), 'none', null, 'the slider of the `vary` feature: α or ω of the sampled function, or its revealed points k'],
  ['readonly', 'ro', TYPES.flag, false, null, 'the points cannot be edited (a prepared demo in an article)'],
].map(([field, key, type, fallback, control, doc]) => Object.freeze({
  field, key, type, default: fallback, control: control && Object.freeze({ feature: control[0], id: control[1] }), doc,
})));

/** Boolean view options and their defaults (the flag rows of FIELDS). */
export const FLAGS = Object.freeze(Object.fromEntries(FIELDS.filter((f) => f.type === TYPES.flag).map((f) => [f.field, f.default])));

/** The default view: no points, bands and the references shown. */
export function defaultState() {
  return {
    ...Object.fromEntries(FIELDS.map((f) => [f.field, f.default])),
    points: [], // [[x, y], ...] in display units
    truth: null, // {family, seed, sigma}: the sampled true function, drawn dashed
    compare: [], // model ids shown side by side (the compare view), in order
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
  const exponent = [0, 1].map((j) => {
    const v = points.map((p) => p[j]);
    const range = Math.max(...v) - Math.min(...v);
    const scale = range > 0 ? range : Math.max(...v.map(Math.abs)) || 1;
    // A unit of 1e-6 of the scale, never coarser than 1 (integers stay integers).
    return Math.min(0, Math.floor(Math.log10(scale * 1e-6)));
  });
  return points.map((p) => p.map((v, j) => {
    const unit = 10 ** exponent[j];
    const rounded = Math.round(v / unit) * unit;
    // Significant digits from the value's leading digit down to the unit, which also removes
    // the binary noise of the product (1e-300 stays 1e-300).
    const digits = rounded === 0 ? 1 : Math.floor(Math.log10(Math.abs(rounded))) - exponent[j] + 1;
    return Number(rounded.toPrecision(Math.min(17, Math.max(1, digits))));
  }));
}

/** Serialises a state into a hash string (without '#'), only non-default values. */
export function encodeHash(state) {
  const parts = [];
  if (state.points.length) {
    parts.push(`pts=${roundPoints(state.points).map(([x, y]) => `${x},${y}`).join(';')}`);
  }
  for (const f of FIELDS) {
    if (state[f.field] !== f.default) parts.push(`${f.key}=${f.type.encode(state[f.field])}`);
  }
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
  const byKey = new Map(FIELDS.map((f) => [f.key, f]));
  for (const [key, value] of seen) {
    const f = byKey.get(key);
    if (f) {
      const v = f.type.parse(value, modelIds);
      if (v !== undefined) state[f.field] = v;
      else if (f.field === 'model') warnings.push(`Unknown model '${label(value, 40)}'; showing the default model.`);
      else warnings.push(`Ignored '${key}=${label(value, 20)}' (expected ${f.type.expect}).`);
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
    const familyOk = TYPES.family.parse(family) !== undefined;
    if (familyOk && Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32 && sigma !== null && sigma >= 0 && sigma <= 10) {
      state.truth = { family, seed, sigma };
    } else {
      warnings.push('Ignored the sampled function in the link (malformed family, seed or noise).');
    }
  }
  return { state, warnings };
}
