// The article's one piece of logic (article.html): the comparison of pretraining bands in
// section 4 includes the wide-band model once the manifest lists it, and its paragraph says so;
// until then it compares the line-only and the default models. Everything else is markup and
// <incontext-demo> elements (incontext-demo.js).

const MANIFEST_URL = new URL('./models/manifest.json', import.meta.url);
const WIDE = 'linear+sinusoid-wide';

/** Shows the paragraphs and the comparison for a manifest that does (`wide`) or does not list the wide model. */
export function showWide(doc, wide) {
  doc.querySelectorAll('.when-wide').forEach((el) => (el.hidden = !wide));
  doc.querySelectorAll('.unless-wide').forEach((el) => (el.hidden = wide));
  const demo = doc.getElementById('demo-compare');
  if (!wide || !demo?.dataset.wideCompare) return;
  demo.setAttribute('compare', demo.dataset.wideCompare);
  demo.style.setProperty('--panels', String(demo.dataset.wideCompare.split(',').length)); // article.css: stacked on a phone
}

async function main() {
  try {
    const response = await fetch(MANIFEST_URL);
    const manifest = await response.json();
    showWide(document, (manifest.models ?? []).some((m) => m.id === WIDE));
  } catch {
    // Without the manifest the demos say what is wrong; the text keeps its fallback.
  }
}

main();
