// Service worker: after the first visit the page, the wasm module, the bundled data and every
// model in the manifest come from a versioned cache, so the demo works with the network off.
// `sw-version.js` (written by `./build.sh wasm` from a hash of everything served) sets
// self.INCONTEXT_VERSION; a new version installs a new cache and deletes the old ones.
// Only OK (HTTP 200) same-origin responses are ever cached.

importScripts('./sw-version.js');

const VERSION = self.INCONTEXT_VERSION || 'dev';
const CACHE = `incontext-${VERSION}`;
const SHELL = [
  './',
  'index.html',
  'embed.html',
  'style.css',
  'app.js',
  'worker.js',
  'incontext-demo.js',
  'lib/state.js',
  'lib/csv.js',
  'lib/fit.js',
  'lib/channel.js',
  'lib/beliefs.js',
  'lib/compare.js',
  'lib/families.js',
  'lib/plot.js',
  'lib/backend.js',
  'lib/experiments.js',
  'lib/experiment-run.js',
  'pkg/incontext.js',
  'pkg/incontext_bg.wasm',
  'data/seattle-temp-max.csv',
  'data/cars-hp-mpg.csv',
  'models/manifest.json',
];

/** Fetches `url` (revalidating with the server) and stores it only if the response is OK. */
async function precache(cache, url) {
  const response = await fetch(url, { cache: 'no-cache' });
  if (response.ok && response.status === 200) await cache.put(url, response);
  return response;
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      const manifest = await precache(cache, 'models/manifest.json');
      let models = [];
      if (manifest.ok) {
        const list = await cache.match('models/manifest.json').then((r) => r.json()).catch(() => ({ models: [] }));
        models = (list.models ?? []).map((m) => `models/${m.file}`);
      }
      await Promise.all([...SHELL.filter((u) => u !== 'models/manifest.json'), ...models].map((u) => precache(cache, u).catch(() => null)));
      await self.skipWaiting();
    })(),
  );
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
      const hit = await cache.match(request, { ignoreSearch: request.mode === 'navigate' });
      if (hit) return hit;
      const response = await fetch(request);
      if (response.ok && response.status === 200 && response.type === 'basic') await cache.put(request, response.clone());
      return response;
    })(),
  );
});
