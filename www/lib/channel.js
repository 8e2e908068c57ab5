// One inference worker (worker.js) behind latest-wins prediction requests: while one runs,
// only the newest waits, so a dragged point never queues stale work.

export class Channel {
  /**
   * @param {string} name  shown in messages ("the model worker failed")
   * @param {(text: string) => void} onFailure  called when the worker cannot start or crashes
   * @param {Worker} worker  the page's inference worker (another object with `postMessage`
   *   for the unit tests)
   */
  constructor(name, onFailure, worker = new Worker(new URL('../worker.js', import.meta.url), { type: 'module' })) {
    this.name = name;
    this.worker = worker;
    this.worker.onerror = (e) => onFailure(`The ${name} worker failed: ${e.message || 'could not start'}.`);
    this.pending = null;
    this.inFlight = null;
  }

  post(msg) {
    this.worker.postMessage(msg);
  }

  /** Queues `req` ({id, message, …}), replacing any request still waiting. */
  request(req) {
    this.pending = req;
    this.pump();
  }

  pump() {
    if (this.inFlight || !this.pending) return;
    this.inFlight = this.pending;
    this.pending = null;
    this.post({ type: 'predict', id: this.inFlight.id, ...this.inFlight.message });
  }

  /** The request a result answers, or null for a stale one; sends the next request. */
  finish(id) {
    if (this.inFlight?.id !== id) return null;
    const request = this.inFlight;
    this.inFlight = null;
    this.pump();
    return request;
  }

  get idle() {
    return !this.inFlight && !this.pending;
  }

  terminate() {
    this.worker.terminate();
  }
}
