import { describe, expect, it, vi } from 'vitest';
import { loadModel, Runtime } from '@camanim/core';
import { encodeModel } from '../../core/test/onnx-builder.ts';
import {
  computeCams,
  createCamRegistry,
  methods,
  normalizeMaps,
  listCamMethods,
  selectLayers,
  type CamMethod,
} from '../src/index.ts';
import { seeded, testRuntime } from './gpu.ts';

/** x [1,3,6,5] → Relu → Mul(per-channel) → a; a → GAP → Flatten → Gemm-free head: Mul(w) → ReduceSum → y [1, 2]. */
function smallNet(): Uint8Array {
  return encodeModel({
    nodes: [
      { op: 'Relu', inputs: ['x'], outputs: ['r'] },
      { op: 'Mul', inputs: ['r', 'scale'], outputs: ['a'] },
      { op: 'Sigmoid', inputs: ['a'], outputs: ['s'] },
      { op: 'Mul', inputs: ['s', 'mix'], outputs: ['m'] },
      { op: 'ReduceMean', inputs: ['m'], outputs: ['p'], attrs: { axes: [2, 3], keepdims: 0 } },
      { op: 'Mul', inputs: ['p', 'head'], outputs: ['y'] },
    ],
    inputs: [{ name: 'x', dims: [1, 3, 6, 5] }],
    outputs: ['y'],
    initializers: [
      { name: 'scale', dims: [1, 3, 1, 1], data: [1.5, -0.7, 0.9] },
      { name: 'mix', dims: [1, 3, 6, 5], data: Array.from(seeded(90, 3, -1, 1)) },
      { name: 'head', dims: [1, 3], data: [1, -2, 0.5] },
    ],
    opset: 13,
  });
}

type Host = (a: number[], g: number[], c: number, hw: number) => number[];
const channelWeights =
  (f: (a: number[], g: number[]) => number): Host =>
  (a, g, c, hw) => {
    const cam = new Array(hw).fill(0);
    for (let k = 0; k < c; k++) {
      const w = f(a.slice(k * hw, (k + 1) * hw), g.slice(k * hw, (k + 1) * hw));
      for (let p = 0; p < hw; p++) cam[p] += w * a[k * hw + p];
    }
    return cam;
  };
const elementSum =
  (f: (a: number, g: number) => number): Host =>
  (a, g, c, hw) =>
    Array.from({ length: hw }, (_, p) => {
      let s = 0;
      for (let k = 0; k < c; k++) s += f(a[k * hw + p], g[k * hw + p]);
      return s;
    });
const sum = (xs: number[]) => xs.reduce((x, y) => x + y, 0);

// Host references written from the published formulas (docs/cam-conventions.md).
const REFERENCES: Record<string, Host> = {
  gradcam: channelWeights((_a, g) => sum(g) / g.length),
  hirescam: elementSum((a, g) => a * g),
  gradcamelementwise: elementSum((a, g) => Math.max(a * g, 0)),
  'gradcam++': channelWeights((a, g) =>
    sum(g.map((gi) => (gi === 0 ? 0 : (Math.max(gi, 0) * gi * gi) / (2 * gi * gi + sum(a) * gi ** 3 + 1e-7)))),
  ),
  xgradcam: channelWeights((a, g) => sum(g.map((gi, i) => (gi * a[i]) / (sum(a) + 1e-7)))),
  layercam: elementSum((a, g) => Math.max(g, 0) * a),
};

describe('gradient CAM methods match host formulas on the same activations and gradients', () => {
  for (const [id, host] of Object.entries(REFERENCES)) {
    it(id, async () => {
      const model = await loadModel(smallNet(), { runtime: await testRuntime() });
      const run = await model.run({ data: seeded(90, 11, -1, 1), shape: [1, 3, 6, 5] });
      const stack = await computeCams(run, { method: id, target: { class: 1 }, layers: { names: ['a', 's'] } });
      const grads = await run.backward({ class: 1 }, { layers: ['a', 's'] });
      for (const layer of stack.layers) {
        const a = Array.from((await run.read(layer.name)).data);
        const g = Array.from((await grads.read(layer.name)).data);
        const want = host(a, g, 3, 30);
        want.forEach((v, p) => expect(layer.raw[p]).toBeCloseTo(v, 4));
        expect(layer.upsampled.length).toBe(30);
        // Same size: upsampling is the identity.
        layer.raw.forEach((v, p) => expect(layer.upsampled[p]).toBeCloseTo(v, 5));
      }
      expect(stack.scores[0]).toBeCloseTo((await run.read('y')).data[1], 5);
      grads.dispose();
      run.dispose();
      model.dispose();
    });
  }
});

describe('CAM kernels per layer shape', () => {
  it("layers of one shape share the CAM's pipelines, each writing its own slice", async () => {
    // A fresh runtime: its pipeline cache sees only this model's kernels.
    const rt = new Runtime((await testRuntime()).device);
    const model = await loadModel(smallNet(), { runtime: rt });
    const run = await model.run({ data: seeded(90, 11, -1, 1), shape: [1, 3, 6, 5] });
    const cams = new Set<string>();
    const pipeline = rt.pipeline.bind(rt);
    const spy = vi.spyOn(rt, 'pipeline').mockImplementation((k) => {
      if (k.name.startsWith('cam_')) cams.add(k.wgsl);
      return pipeline(k);
    });
    const names = ['r', 'a', 's', 'm'];
    const stack = await computeCams(run, { method: 'gradcam', target: { class: 1 }, layers: { names } });
    spy.mockRestore();
    expect(stack.layers.map((l) => l.shape)).toEqual(names.map(() => [1, 3, 6, 5]));
    // Channel means, weighted sum, upsampling: one pipeline each for the four layers (baked
    // offsets made twelve).
    expect(cams.size).toBe(3);
    // Each layer's maps are its own: GradCAM of that layer alone.
    for (const layer of stack.layers) {
      const alone = await computeCams(run, { method: 'gradcam', target: { class: 1 }, layers: { names: [layer.name] } });
      expect(layer.raw).toEqual(alone.layers[0].raw);
      expect(layer.upsampled).toEqual(alone.layers[0].upsampled);
      expect(layer.weights).toEqual(alone.layers[0].weights);
    }
    expect(new Set(stack.layers.map((l) => l.raw.join())).size).toBe(4);
    run.dispose();
    model.dispose();
  });
});

describe('registry and plugins', () => {
  it('lists every built-in method once, with pytorch-grad-cam ids', () => {
    const ids = listCamMethods().map((m) => m.id);
    for (const id of [
      'gradcam',
      'hirescam',
      'gradcamelementwise',
      'gradcam++',
      'xgradcam',
      'layercam',
      'eigencam',
      'eigengradcam',
      'scorecam',
      'ablationcam',
      'fullgrad',
      'shapleycam',
      'randomcam',
    ])
      expect(ids).toContain(id);
    expect(new Set(ids).size).toBe(ids.length);
  });
  it('an unknown method lists the known ones', () => {
    expect(() => createCamRegistry(methods).get('gradkam')).toThrow(/Unknown CAM method 'gradkam'.*Known methods: gradcam/);
  });
  const plugin: CamMethod = {
    id: 'gradcam-abs',
    title: 'Grad-CAM on |g|',
    reference: 'w_c = mean |g|',
    needs: { gradients: true },
    kind: 'channel',
    weights: { expr: 'abs(g)', reduce: 'mean' },
  };
  it('a third-party plugin registers with one call and runs through the shared runner', async () => {
    // A registry of this test's own: the package's default one stays as every other test sees it.
    const registry = createCamRegistry(methods);
    registry.register(plugin);
    const model = await loadModel(smallNet(), { runtime: await testRuntime() });
    const run = await model.run({ data: seeded(90, 11, -1, 1), shape: [1, 3, 6, 5] });
    const stack = await computeCams(run, { method: 'gradcam-abs', registry, target: { class: 0 }, layers: { names: ['a'] } });
    const g = (await (await run.backward({ class: 0 }, { layers: ['a'] })).read('a')).data;
    const w = [0, 1, 2].map((k) => sum(Array.from(g.subarray(k * 30, (k + 1) * 30), Math.abs)) / 30);
    expect(Array.from(stack.layers[0].weights!)).toEqual(w.map((v) => expect.closeTo(v, 5)));
    expect(() => registry.register(plugin)).toThrow(/already registered/);
    expect(listCamMethods().map((m) => m.id)).not.toContain('gradcam-abs');
  });
  it('registerCamMethod adds to the default registry (a fresh copy of the package, so nothing leaks)', async () => {
    vi.resetModules();
    const fresh = await import('../src/index.ts');
    fresh.registerCamMethod(plugin);
    expect(fresh.defaultCamRegistry.get('gradcam-abs')).toBe(plugin);
    expect(() => fresh.registerCamMethod(plugin)).toThrow(/already registered/);
    expect(listCamMethods().map((m) => m.id)).not.toContain('gradcam-abs');
  });
});

describe('layer selection and normalization', () => {
  it('picks spatial layers in topological order, filters, every k-th, percentiles', async () => {
    const model = await loadModel(smallNet(), { runtime: await testRuntime() });
    expect(selectLayers(model).map((l) => l.name)).toEqual(['r', 'a', 's', 'm']);
    expect(selectLayers(model, { filter: 'Sigmoid' }).map((l) => l.name)).toEqual(['s']);
    expect(selectLayers(model, { every: 2 }).map((l) => l.name)).toEqual(['r', 's', 'm']);
    expect(selectLayers(model, { percentiles: [0, 100] }).map((l) => l.name)).toEqual(['r', 'm']);
    expect(selectLayers(model, { kinds: 'all' }).map((l) => l.name)).toContain('y');
    expect(() => selectLayers(model, { filter: 'Conv' })).toThrow(/No layer matches/);
    expect(() => selectLayers(model, { names: ['zz'] })).toThrow(/does not exist/);
  });
  it('global normalization shares one range, local gives each layer [0, 1]', () => {
    const maps = [Float32Array.from([-1, 0, 2]), Float32Array.from([1, 4, 3])];
    const local = normalizeMaps(maps, 'local');
    const global = normalizeMaps(maps, 'global');
    expect(Math.max(...local[0])).toBeCloseTo(1, 5);
    expect(Math.max(...global[0])).toBeCloseTo(0.5, 5);
    expect(Math.max(...global[1])).toBeCloseTo(1, 5);
    expect(Math.min(...local[0])).toBe(0);
  });
});
