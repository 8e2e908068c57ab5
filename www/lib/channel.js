// One inference worker (worker.js) behind latest-wins prediction requests: while one runs,
// only the newest waits, so a dragged point never queues stale work. Other requests (a function
// draw) are calls: each is sent at once and answered by its own promise. `startWorker` starts
// the worker: a dedicated one per page, or a port of a SharedWorker that every demo of the
// origin shares (the embed's 'shared-workers' feature, lib/page.js).

const WORKER_URL = new URL('../worker.js', import.meta.url);

/**
 * A port of a SharedWorker with the face of a dedicated Worker (`postMessage`, `onmessage`,
 * `onerror`, `terminate`): `terminate` ends this client's session, not the worker, which
 * serves the other demos on.
 */
class SharedWorkerPort {
  constructor(shared) {
    this.shared = shared;
    this.port = shared.port;
    // A page that goes away for good ends its session (its models are released).
    addEventListener('pagehide', (e) => e.persisted || this.terminate(), { once: true });
  }

  postMessage(msg, transfer) {
    this.port.postMessage(msg, transfer ?? []);
  }

  set onmessage(handler) {
    this.port.onmessage = handler; // also starts the port
  }

  get onmessage() {
    return this.port.onmessage;
  }

  set onerror(handler) {
    this.shared.onerror = handler;
  }

  get onerror() {
    return this.shared.onerror;
  }

  terminate() {
    if (this.closed) return;
    this.closed = true;
    this.port.postMessage({ type: 'close' });
    this.port.close();
  }
}

/**
 * Starts an inference worker of `kind` ('model' or 'bayes'). With `shared`, and where the
 * browser has SharedWorker, every page of this origin that asks for a
 * shared one gets a port of the same worker of that kind, `incontext-<kind>`: one wasm
 * instance and one download of each model for all the demos of an article. Otherwise, or if the
 * shared worker cannot start, a dedicated Worker.
 */
export function startWorker(kind, shared = false) {
  if (shared && typeof SharedWorker === 'function') {
    try {
      return new SharedWorkerPort(new SharedWorker(WORKER_URL, { type: 'module', name: `incontext-${kind}` }));
    } catch {
      // e.g. a sandboxed frame: a dedicated worker does the same work alone
    }
  }
  return new Worker(WORKER_URL, { type: 'module' });
}

export class Channel {
  /**
   * @param {string} name  shown in messages ("the model worker failed")
   * @param {(text: string) => void} onFailure  called when the worker cannot start or crashes
   * @param {Worker} worker  the page's inference worker (`startWorker`; another object with
   *   `postMessage` for the unit tests)
   */
  constructor(name, onFailure, worker = startWorker('model')) {
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
