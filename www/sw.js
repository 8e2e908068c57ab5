// Service worker: after the first visit the page, the wasm module, the bundled data, the
// published result figures and every model in the manifest come from a versioned cache, so the
// demo works with the network off. `sw-version.js` (written by `./build.sh wasm` and
// `./build.sh serve` from a hash of everything served) sets self.INCONTEXT_VERSION.
//
// Updates never mix versions: a new version installs its own cache and then *waits*; the page
// offers a reload, and only when the reader accepts (message 'skip-waiting') does it take over,
// delete the old caches and reload the page. Installation fails (the old version keeps serving)
// unless every file of the shell was cached; a model that fails to download is only missing
// offline, and the page says so. Only OK (HTTP 200), same-origin responses are cached, stripped
// of the redirect flag (a cached redirected response breaks navigations); a navigation to a
// folder is answered with its cached index.html.

importScripts('./sw-version.js');

const VERSION = self.INCONTEXT_VERSION || 'dev';
const CACHE = `incontext-${VERSION}`;
/** The files the page cannot run without: all of them are cached, or the install fails. */
const SHELL = [
  'index.html',
  'embed.html',
  'style.css',
  'app.js',
  'worker.js',
  'incontext-demo.js',
  'article.html',
  'article.css',
  'article.js',
  'lib/state.js',
  'lib/csv.js',
  'vendor/d3-dsv.js',
  'lib/fit.js',
  'lib/channel.js',
  'lib/beliefs.js',
  'lib/compare.js',
  'lib/families.js',
  'lib/data-import.js',
  'lib/plot.js',
  'lib/backend.js',
  'lib/experiments.js',
  'lib/experiment-run.js',
  'lib/page.js',
  'lib/messages.js',
  'lib/models.js',
  'lib/predict.js',
  'lib/render.js',
  'lib/fit-table.js',
  'lib/truth.js',
  'lib/ood-controls.js',
  'lib/vary.js',
  'lib/controls.js',
  'lib/sw-client.js',
  'pkg/incontext.js',
  'pkg/incontext_bg.wasm',
  'data/seattle-temp-max.csv',
  'data/cars-hp-mpg.csv',
  'models/manifest.json',
];

/** Fetches `url` (revalidating with the server) and caches it; throws unless it is cacheable. */
async function precache(cache, url) {
  const response = await fetch(url, { cache: 'no-cache' });
  if (!cacheable(response)) throw new Error(`${url}: HTTP ${response.status}`);
  await cache.put(url, await unredirected(response));
}

function cacheable(response) {
  return response.ok && response.status === 200 && response.type === 'basic';
}

/**
 * A response that followed a redirect (a host sending index.html to /, say) must not answer a
 * navigation from the cache (browsers refuse it): keep its body and headers, not the flag.
 */
async function unredirected(response) {
  if (!response.redirected) return response;
  return new Response(await response.blob(), { status: response.status, statusText: response.statusText, headers: response.headers });
}

/** Files listed by a cached JSON file (`models/manifest.json`, `results/index.json`). */
async function listed(cache, url, pick) {
  const response = await cache.match(url);
  if (!response) return [];
  try {
    return pick(await response.json());
  } catch {
    return [];
  }
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      try {
        await Promise.all(SHELL.map((url) => precache(cache, url)));
      } catch (e) {
        await caches.delete(CACHE); // a failed install leaves nothing behind
        throw e;
      }
      // Optional: models and result figures. Whatever fails is fetched (and cached) when used.
      await precache(cache, 'results/index.json').catch(() => null);
      const models = await listed(cache, 'models/manifest.json', (m) => (m.models ?? []).map((e) => `models/${e.file}`));
      const figures = await listed(cache, 'results/index.json', (r) => (r.experiments ?? []).flatMap((e) => e.figures.map((f) => `results/${f}`)));
      await Promise.allSettled([...models, ...figures].map((url) => precache(cache, url)));
    })(),
  );
});

self.addEventListener('message', (event) => {
  if (event.data === 'skip-waiting') self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(names.filter((n) => n.startsWith('incontext-') && n !== CACHE).map((n) => caches.delete(n)));
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      const navigation = request.mode === 'navigate';
      const hit = (await cache.match(request, { ignoreSearch: navigation })) ??
        (navigation && url.pathname.endsWith('/') ? await cache.match(new URL('index.html', url).href) : undefined);
      if (hit) return hit;
      const response = await fetch(request);
      if (cacheable(response)) await cache.put(request, await unredirected(response.clone()));
      return response;
    })(),
  );
});
