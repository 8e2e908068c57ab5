// Unit tests (Node) of the model worker's backend choice, www/lib/backend.js, with a fake
// `GpuModel` class: WebGPU when navigator.gpu yields a device, wasm otherwise, the reader's
// choice, and the fallback to wasm after a lost device or a failed GPU call.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backends, WASM, WEBGPU } from '../../www/lib/backend.js';

const ADAPTER = { name: 'Fake GPU', deviceType: 'DiscreteGpu', backend: 'BrowserWebGpu', driver: '', software: false };

/** A fake of the wasm `GpuModel` class; `behaviour.load` decides what `load` does. */
function fakeGpuClass(behaviour = {}) {
  const made = [];
  class FakeGpuModel {
    constructor(bytes) {
      this.bytes = bytes;
      this.freed = false;
      this.lost = null;
      this.calls = 0;
      made.push(this);
    }

    static async load(bytes) {
      if (behaviour.load) return behaviour.load(bytes, () => new FakeGpuModel(bytes));
      return new FakeGpuModel(bytes);
    }

    adapter() {
      return ADAPTER;
    }

    async predict(xs) {
      this.calls += 1;
      if (this.lost) throw new Error(`GPU: the GPU device was lost (${this.lost})`);
      if (xs.some((v) => !Number.isFinite(v))) throw new Error('invalid input: context x[0] is NaN (must be finite)');
      return { from: 'gpu', bytes: this.bytes };
    }

    lostReason() {
      return this.lost;
    }

    free() {
      this.freed = true;
    }
  }
  return { FakeGpuModel, made };
}

const withGpu = { gpu: {} };
const wasmAnswer = () => ({ from: 'wasm' });
const args = [[0.5], [1], [0.2], 1];

test('without navigator.gpu the model runs on wasm and says why', async () => {
  const { FakeGpuModel, made } = fakeGpuClass();
  const backends = new Backends(FakeGpuModel, {});
  const status = await backends.load('model-a');
  assert.equal(status.backend, WASM);
  assert.match(status.note, /navigator\.gpu is undefined/);
  assert.equal(made.length, 0, 'no GPU model is attempted');
  assert.deepEqual(await backends.predict(args, wasmAnswer), { summary: { from: 'wasm' }, switched: null });
});

test('an adapter request that finds nothing leaves the model on wasm with the reason', async () => {
  const { FakeGpuModel } = fakeGpuClass({
    load: async () => {
      throw new Error('GPU: no GPU adapter found (not found); navigator.gpu is missing or requestAdapter() found none');
    },
  });
  const backends = new Backends(FakeGpuModel, withGpu);
  const status = await backends.load('model-a');
  assert.equal(status.backend, WASM);
  assert.match(status.note, /^WebGPU unavailable: GPU: no GPU adapter found/);
});

test('with a device the model runs on WebGPU; bad input is an error, not a fallback', async () => {
  const { FakeGpuModel, made } = fakeGpuClass();
  const backends = new Backends(FakeGpuModel, withGpu);
  const status = await backends.load('model-a');
  assert.equal(status.backend, WEBGPU);
  assert.deepEqual(status.adapter, ADAPTER);
  assert.match(status.note, /WebGPU on Fake GPU/);
  assert.deepEqual(await backends.predict(args, wasmAnswer), { summary: { from: 'gpu', bytes: 'model-a' }, switched: null });
  await assert.rejects(backends.predict([[NaN], [1], [0.2], 1], wasmAnswer), /invalid input/);
  assert.equal(backends.backend, WEBGPU, 'still on the GPU');
  assert.equal(made[0].freed, false);
});

test('a lost device falls back to wasm for this and every later prediction, and says so', async () => {
  const { FakeGpuModel, made } = fakeGpuClass();
  const backends = new Backends(FakeGpuModel, withGpu);
  await backends.load('model-a');
  made[0].lost = 'Destroyed: device destroyed';
  const { summary, switched } = await backends.predict(args, wasmAnswer);
  assert.deepEqual(summary, { from: 'wasm' });
  assert.equal(switched.backend, WASM);
  assert.match(switched.note, /WebGPU device was lost \(Destroyed: device destroyed\); switched to wasm SIMD/);
  assert.equal(made[0].freed, true, 'the lost model is released');
  assert.deepEqual(await backends.predict(args, wasmAnswer), { summary: { from: 'wasm' }, switched: null });
  assert.equal(made[0].calls, 1);
});

test("the reader's choice: wasm releases the GPU, WebGPU brings it back, nonsense is refused", async () => {
  const { FakeGpuModel, made } = fakeGpuClass();
  const backends = new Backends(FakeGpuModel, withGpu);
  await backends.load('model-a');
  const wasm = await backends.choose(WASM);
  assert.equal(wasm.backend, WASM);
  assert.equal(wasm.preference, WASM);
  assert.equal(made[0].freed, true);
  assert.equal((await backends.load('model-b')).backend, WASM, 'a new model keeps the choice');
  const gpu = await backends.choose(WEBGPU);
  assert.equal(gpu.backend, WEBGPU);
  assert.equal(made.at(-1).bytes, 'model-b');
  await assert.rejects(backends.choose('cuda'), /unknown backend 'cuda'/);
});

test('a GPU copy that finishes loading after a newer model was chosen is released, not used', async () => {
  const pending = [];
  const { FakeGpuModel, made } = fakeGpuClass({ load: (bytes, make) => new Promise((resolve) => pending.push(() => resolve(make()))) });
  const backends = new Backends(FakeGpuModel, withGpu);
  const first = backends.load('model-a');
  const second = backends.load('model-b');
  pending[1]();
  await second;
  pending[0]();
  await first;
  assert.equal(backends.backend, WEBGPU);
  assert.deepEqual(await backends.predict(args, wasmAnswer), { summary: { from: 'gpu', bytes: 'model-b' }, switched: null });
  assert.equal(made.find((m) => m.bytes === 'model-a').freed, true);
});
