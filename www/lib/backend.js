// The model worker's inference backend (docs/DESIGN.md, "Backends"): WebGPU — the WGSL
// kernels of src/gpu/ through wgpu's webgpu backend — when navigator.gpu yields an adapter and
// a device, else wasm SIMD (candle on the CPU). The reader may force either one; a lost device
// (or any GPU failure) falls back to wasm without a reload and says why. Pure logic over
// injected dependencies (the wasm `GpuModel` class and the worker's navigator), so Node tests
// can drive it.

export const WEBGPU = 'webgpu';
export const WASM = 'wasm-simd';
/** The reader's choices: try WebGPU first (`auto`), insist on it, or use wasm only. */
export const PREFERENCES = ['auto', WEBGPU, WASM];

export class Backends {
  /**
   * @param GpuModel the wasm class with `static load(bytes): Promise<GpuModel>` (null: none)
   * @param nav the worker's `navigator` (WebGPU needs `nav.gpu`)
   */
  constructor(GpuModel, nav) {
    this.GpuModel = GpuModel;
    this.nav = nav;
    this.preference = 'auto';
    this.gpu = null; // the current model on the GPU, when WebGPU is in use
    this.adapter = null; // {name, deviceType, backend, driver, software}
    this.bytes = null; // the current model's file, kept to load it on a GPU later
    this.note = 'no model loaded';
  }

  /** The backend predictions run on now. */
  get backend() {
    return this.gpu ? WEBGPU : WASM;
  }

  /** `{backend, preference, note, adapter}`: what the page's indicator shows. */
  status() {
    return { backend: this.backend, preference: this.preference, note: this.note, adapter: this.adapter };
  }

  /** A new model file: releases the old GPU model and, unless wasm is chosen, tries WebGPU. */
  async load(bytes) {
    this.release();
    this.bytes = bytes;
    await this.tryWebGpu();
    return this.status();
  }

  /** The reader's choice (one of `PREFERENCES`). */
  async choose(preference) {
    if (!PREFERENCES.includes(preference)) {
      throw new Error(`unknown backend '${preference}' (expected ${PREFERENCES.join(', ')})`);
    }
    this.preference = preference;
    if (preference === WASM) this.release();
    if (!this.gpu) await this.tryWebGpu();
    return this.status();
  }

  async tryWebGpu() {
    if (this.preference === WASM) {
      this.note = 'wasm SIMD chosen';
      return;
    }
    if (!this.bytes) {
      this.note = 'no model loaded';
      return;
    }
    if (!this.GpuModel) {
      this.note = 'WebGPU unavailable: this build has no GPU path';
      return;
    }
    if (!this.nav?.gpu) {
      this.note = 'WebGPU unavailable: navigator.gpu is undefined';
      return;
    }
    const bytes = this.bytes;
    this.note = 'starting WebGPU…';
    try {
      const gpu = await this.GpuModel.load(bytes);
      if (bytes !== this.bytes || this.gpu || this.preference === WASM) {
        gpu.free(); // a newer model, another attempt or the reader's choice won meanwhile
        return;
      }
      this.gpu = gpu;
      this.adapter = gpu.adapter();
      const software = this.adapter.software ? ', a software rasteriser: correct but not fast' : '';
      this.note = `WebGPU on ${this.adapter.name || 'an unnamed adapter'} (${this.adapter.deviceType}${software})`;
    } catch (e) {
      this.note = `WebGPU unavailable: ${e?.message ?? e}`;
    }
  }

  release() {
    this.gpu?.free();
    this.gpu = null;
    this.adapter = null;
  }

  /**
   * The model's prediction: `gpuArgs` to `GpuModel.predict` on WebGPU, else `wasmPredict()`.
   * Bad input is rethrown (wasm would refuse it too); any other GPU failure — a lost device
   * above all — releases WebGPU, records why, and answers with wasm. Resolves to
   * `{summary, switched}`, `switched` being the new status after a fallback, else null.
   */
  async predict(gpuArgs, wasmPredict) {
    if (this.gpu) {
      try {
        return { summary: await this.gpu.predict(...gpuArgs), switched: null };
      } catch (e) {
        const lost = this.gpu.lostReason();
        const text = e?.message ?? String(e);
        if (!lost && text.startsWith('invalid input')) throw e;
        this.release();
        this.note = lost
          ? `the WebGPU device was lost (${lost}); switched to wasm SIMD`
          : `WebGPU failed (${text}); switched to wasm SIMD`;
        return { summary: wasmPredict(), switched: this.status() };
      }
    }
    return { summary: wasmPredict(), switched: null };
  }
}
