// Which model the page runs: the manifest (models/manifest.json), the model picker, the download
// progress, the status line (model, backend, offline cache) and the Bayes reference that follows
// the model's pretraining mixture. The workers load; this module asks them and shows what they
// answer, then tells the page through its hooks.

/** The manifest; model files are resolved against it. */
export const MANIFEST_URL = new URL('../models/manifest.json', import.meta.url).href;

/** The Bayes reference when the manifest lists no model and names none. */
const FALLBACK_REFERENCE = { mixture: 'linear(bias):0.5,sinusoid(omega_lo=0.5,omega_hi=2.5):0.5', noise: [0.01, 0.2] };

/** A size for people: "1.2 MB", "830 kB", or "?" when unknown. */
export function formatBytes(n) {
  if (!Number.isFinite(n)) return '?';
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${Math.round(n / 1e3)} kB`;
}

/** The manifest entry of model `id`, else the manifest's default, else its first, else null. */
export function currentEntry(manifest, id) {
  const models = manifest?.models ?? [];
  return models.find((m) => m.id === id) ?? models.find((m) => m.id === manifest?.default) ?? models[0] ?? null;
}

/** The status line of a loaded model (the worker's `ready.model`). */
export function describeModel(model) {
  const { architecture: { encoding, n_layer: nLayer, n_embd: nEmbd, n_head: nHead }, trainingSteps } = model.info;
  return `${model.id}: ${nLayer} layers × ${nEmbd} wide, ${nHead} heads, ${encoding} encoding, ${trainingSteps} steps; ` +
    `loaded in ${Math.round(model.loadMs)} ms${model.fromCache ? ' from the offline cache' : ''}`;
}

/** The backend indicator's text for a backend status (`status()` of lib/backend.js). */
export function backendLabel(status) {
  const adapter = status.adapter && (status.adapter.name || (status.adapter.software ? 'software' : status.adapter.deviceType));
  return adapter ? `${status.backend} (${adapter})` : status.backend;
}

/**
 * Reads the manifest; when it cannot, says so with `message` and returns an empty one (the page
 * then shows the Bayes posterior and least squares only).
 */
export async function loadManifest(message) {
  try {
    const response = await fetch(MANIFEST_URL);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const manifest = await response.json();
    if (!manifest || !Array.isArray(manifest.models)) throw new Error('it has no "models" list');
    return manifest;
  } catch (e) {
    message('manifest', `Could not read the model list (${e.message}); showing the Bayes posterior and least squares only.`);
    return { models: [], reference: null };
  }
}

export class Models {
  /**
   * @param {object} app  the page's runtime state: reads `state.model` and `manifest`; writes
   *   `info`, `loadedId`, `families`, `backend`, `reference` and `referenceKnown`
   * @param {object} options
   * @param {(id: string) => HTMLElement} options.$  the page's elements
   * @param {{has(feature: string): boolean}} options.page  the page's configuration (lib/page.js)
   * @param {{model: Channel, bayes: Channel}} options.channels  the two workers (lib/channel.js)
   * @param {(key, text, kind?) => void} options.message  the message bar (lib/messages.js)
   * @param {{picked(id), loaded(), failed(), backendChanged(), referenceChanged()}} options.hooks
   *   what the page does next: after the reader picks a model, once a model is ready, when its
   *   load failed, after a backend change, after a new Bayes reference
   */
  constructor(app, { $, page, channels, message, hooks }) {
    this.app = app;
    this.channels = channels;
    this.message = message;
    this.hooks = hooks;
    this.picker = $('model');
    this.progress = $('progress');
    this.status = $('status-model');
    this.backend = $('status-backend');
    this.cache = $('status-cache');
    this.choice = page.has('backend-choice') ? $('backend-choice') : null;
  }

  /** The manifest entry of the model the view asks for (or the default), or null. */
  entry() {
    return currentEntry(this.app.manifest, this.app.state.model);
  }

  /** The picker's changes, and the backend choice where the page has one. */
  bind() {
    this.picker.addEventListener('change', (e) => this.hooks.picked(e.target.value));
    this.choice?.addEventListener('change', (e) => this.channels.model.post({ type: 'backend', preference: e.target.value }));
  }

  /** One option per manifest model, the current one selected. */
  fillPicker() {
    const { models } = this.app.manifest;
    this.picker.replaceChildren();
    for (const m of models) {
      const option = document.createElement('option');
      option.value = m.id;
      option.textContent = `${m.label ?? m.id} (${formatBytes(m.bytes)})`;
      this.picker.append(option);
    }
    if (!models.length) {
      const option = document.createElement('option');
      option.textContent = 'no trained model yet';
      this.picker.append(option);
    }
    this.picker.disabled = models.length === 0;
    const entry = this.entry();
    if (entry) this.picker.value = entry.id;
  }

  /** Loads the current model unless it is loaded; the Bayes reference answers meanwhile. */
  load() {
    const { app } = this;
    const entry = this.entry();
    if (!entry) {
      const ref = app.manifest.reference ?? FALLBACK_REFERENCE;
      this.channels.bayes.post({ type: 'reference', mixture: ref.mixture, noise: ref.noise });
      this.status.textContent = 'no trained model: Bayes posterior and least squares';
      return;
    }
    if (entry.id === app.loadedId) return;
    this.message('model', '');
    app.info = null;
    app.loadedId = '';
    // Bayes and least squares answer while the model downloads.
    if (entry.mixture && entry.noise) this.channels.bayes.post({ type: 'reference', mixture: entry.mixture, noise: entry.noise });
    this.#showProgress(0, entry.bytes);
    this.channels.model.post({ type: 'load', id: entry.id, url: new URL(entry.file, MANIFEST_URL).href, bytes: entry.bytes, sha256: entry.sha256 });
  }

  /** The model worker's download progress (`loading`). */
  onLoading({ id, loaded, total }) {
    if (id === this.entry()?.id) this.#showProgress(loaded, total);
  }

  /** The model worker's `ready`: the model's info, its status, its mixture's Bayes reference. */
  onReady({ backend, backendStatus, model }) {
    const { app } = this;
    app.backend = backend;
    this.backend.textContent = backend;
    this.#showBackend(backendStatus);
    this.progress.hidden = true;
    app.info = model.info;
    app.loadedId = model.id;
    app.families = model.info.families;
    this.status.textContent = describeModel(model);
    this.cache.hidden = !model.fromCache;
    // The Bayes posterior of the model's own mixture (the manifest's copy may be stale).
    this.channels.bayes.post({ type: 'reference', mixture: model.info.mixture, noise: model.info.noise });
    this.hooks.loaded();
  }

  /**
   * A load error of model `id`: the page goes on without a model. Returns false for a
   * superseded load (the page has moved on), which is ignored.
   */
  onLoadError(id, text) {
    if (id !== this.entry()?.id) return false;
    this.progress.hidden = true;
    this.message('model', `Could not load the model: ${text}. Showing the Bayes posterior and least squares only.`);
    this.status.textContent = 'no model loaded';
    this.app.info = null;
    this.app.loadedId = '';
    this.hooks.failed();
    return true;
  }

  /** A backend change: after the reader's choice, WebGPU coming up, or a fallback to wasm. */
  onBackend(status) {
    this.#showBackend(status);
    const refused = status.preference === 'webgpu' && status.backend !== 'webgpu';
    const fellBack = status.note.includes('switched to wasm');
    this.message('backend', refused || fellBack ? `Backend: ${status.note}.` : '', 'warning');
    this.hooks.backendChanged();
  }

  /** The Bayes worker's `reference`: the posterior of the pretraining prior (or its error). */
  onReference({ backend, reference, error }) {
    const { app } = this;
    if (!app.backend) this.backend.textContent = backend;
    app.reference = reference;
    app.referenceKnown = true;
    this.message('reference', error ?? '', 'warning');
    if (!app.info && reference) app.families = reference.families;
    this.hooks.referenceChanged();
  }

  #showProgress(loaded, total) {
    this.progress.hidden = false;
    this.progress.max = total || loaded || 1;
    this.progress.value = loaded;
    this.status.textContent = `downloading ${formatBytes(loaded)} of ${formatBytes(total)}`;
  }

  /** The model worker's backend (`status()` of lib/backend.js): indicator, its tooltip, the choice. */
  #showBackend(status) {
    if (!status) return;
    this.app.backend = status.backend;
    this.backend.textContent = backendLabel(status);
    this.backend.title = status.note;
    this.backend.dataset.backend = status.backend;
    if (this.choice) this.choice.value = status.preference;
  }
}
