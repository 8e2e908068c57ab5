// The page's side of the service worker (sw.js): registering it once, after the first prediction
// (its precaching of every model must not compete with the default model's download) or after a
// fallback delay, and offering a waiting new version as a reload the reader accepts.

/** Milliseconds after start-up at which the service worker is registered at the latest. */
const FALLBACK_MS = 15000;

export class ServiceWorkerClient {
  /**
   * @param {(key, text, kind?) => void} message  the message bar (lib/messages.js)
   * @param {HTMLElement} bar  where the update offer goes (the page's header)
   */
  constructor(message, bar) {
    this.message = message;
    this.bar = bar;
    this.registered = false;
  }

  /** Registers within FALLBACK_MS even without a first prediction (a failed model download, say). */
  registerLater() {
    setTimeout(() => this.register(), FALLBACK_MS);
  }

  /** Registers the service worker, once (not where the browser has none, nor with `?nosw`). */
  register() {
    if (this.registered || !('serviceWorker' in navigator) || new URLSearchParams(location.search).has('nosw')) return;
    this.registered = true;
    navigator.serviceWorker
      .register(new URL('../sw.js', import.meta.url))
      .then((registration) => {
        if (!registration) return; // service workers blocked (a browser setting or a test harness)
        // A new version waits until the reader reloads: the open page never mixes two versions.
        const offer = () => registration.waiting && navigator.serviceWorker.controller && this.#offerUpdate(registration.waiting);
        offer();
        registration.addEventListener('updatefound', () => {
          registration.installing?.addEventListener('statechange', offer);
        });
      })
      .catch((e) => this.message('sw', `Offline use is unavailable: ${e.message}`, 'note'));
  }

  /** Shows "a new version is ready" with a button that activates it and reloads the page. */
  #offerUpdate(waiting) {
    if (document.getElementById('update')) return;
    const offer = document.createElement('p');
    offer.id = 'update';
    offer.className = 'msg note update';
    offer.append('A new version of this page is ready. ');
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = 'Reload to use it';
    button.addEventListener('click', () => {
      navigator.serviceWorker.addEventListener('controllerchange', () => location.reload(), { once: true });
      waiting.postMessage('skip-waiting');
    });
    offer.append(button);
    this.bar.append(offer);
  }
}
