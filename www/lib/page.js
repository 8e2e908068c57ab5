// The page's configuration: which optional parts it has. index.html and embed.html run the same
// code (app.js); `<body data-features="…">` names the parts a page has, read once here, and the
// modules consult that one object instead of checking for the page's kind or for elements.

/** Every optional part a page may have, and what it is. */
export const FEATURES = Object.freeze({
  show: 'the "Show" checkboxes: bands, heat map, references, standardisation',
  context: 'the choice of which points form the context when there are more than the model takes',
  sampling: '"Sample a function" and the out-of-distribution draws (convex α, sinusoid ω)',
  'backend-choice': "the reader's choice of inference backend",
  'copy-link': 'the "Copy link to this view" button',
  'compare-picker': 'the checkboxes choosing the models of the compare view',
  'data-import': 'the "Your data" controls: pasted, dropped and bundled data',
  'fit-table': 'the fit table under the plot, and the leave-one-out fits it shows',
  experiments: 'the Experiments view (live E6/E7 sweeps and the committed figures)',
  'open-full': 'a link to the full demo that carries the view',
  'host-ready': 'tells an <incontext-demo> element hosting the page that the demo runs',
  'shared-workers': "shares its inference workers with the origin's other such pages (SharedWorker): an article's demos compile the wasm once and download each model once",
  vary: "a slider over the plot that varies the sampled function (α, ω or the revealed points k), as the link's `vary` key asks",
});

/** The feature names of a `data-features` text (space-separated); an unknown name throws. */
export function parseFeatures(text) {
  const names = String(text ?? '').split(/\s+/).filter(Boolean);
  const unknown = names.filter((name) => !Object.hasOwn(FEATURES, name));
  if (unknown.length) throw new Error(`Unknown page feature ${unknown.map((n) => `'${n}'`).join(', ')}; known: ${Object.keys(FEATURES).join(', ')}.`);
  return new Set(names);
}

/**
 * The configuration of a page from its body's dataset (`features`): `has(name)` says whether the
 * page has a part (a name not in FEATURES throws: a typo must not read as "absent").
 */
export function pageConfig(dataset) {
  const features = parseFeatures(dataset.features);
  return Object.freeze({
    features,
    has(name) {
      if (!Object.hasOwn(FEATURES, name)) throw new Error(`Unknown page feature '${name}'.`);
      return features.has(name);
    },
  });
}

/**
 * A function telling the window that hosts `win` in an iframe (an <incontext-demo> element's
 * page) that the demo runs: the first call posts `incontext-ready` to it, later calls nothing.
 */
export function hostNotifier(win) {
  let told = false;
  return () => {
    if (told || win.parent === win) return;
    told = true;
    win.parent.postMessage({ type: 'incontext-ready' }, '*');
  };
}
