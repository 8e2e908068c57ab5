// One inference worker (worker.js) behind latest-wins prediction requests: while one runs,
// only the newest waits, so a dragged point never queues stale work. Other requests (a function
// draw) are calls: each is sent at once and answered by its own promise.

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
    this.calls = new Map(); // id → {resolve, reject} of the calls not yet answered
    this.nextCall = 1;
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

  /**
   * Sends `msg` with a fresh `id` and returns a promise of its answer, which the page's message
   * handler passes to `answer(id, value)` (or `fail(id, text)` for the worker's error).
   */
  call(msg) {
    const id = this.nextCall++;
    return new Promise((resolve, reject) => {
      this.calls.set(id, { resolve, reject });
      this.post({ ...msg, id });
    });
  }

  /** Resolves the call `id` with `value`; false when no such call waits. */
  answer(id, value) {
    const call = this.calls.get(id);
    this.calls.delete(id);
    call?.resolve(value);
    return Boolean(call);
  }

  /** Rejects the call `id` with an Error of `text`; false when no such call waits. */
  fail(id, text) {
    const call = this.calls.get(id);
    this.calls.delete(id);
    call?.reject(new Error(text));
    return Boolean(call);
  }

  get idle() {
    return !this.inFlight && !this.pending;
  }

  terminate() {
    this.worker.terminate();
  }
}
