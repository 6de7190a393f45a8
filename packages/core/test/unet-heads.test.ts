/**
 * The new ops inside whole models as exporters write them: a small U-Net (Conv → stride-2 Conv
 * → ConvTranspose up → Concat skip → InstanceNormalization → grouped ConvTranspose → 1×1 Conv;
 * Tanh activations, so finite differences see no kinks) and a YOLO-style head (SpaceToDepth
 * stem, DepthToSpace upsampling, Concat, Sigmoid). Every tensor is compared with onnxruntime,
 * and the backward's input gradient with a directional finite difference.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../src/load-model.ts';
import { maxRelError, random, testRuntime } from './gpu.ts';
import { encodeModel, type ModelSpec } from './onnx-builder.ts';

const ort = createRequire(new URL('../../../test/package.json', import.meta.url))('onnxruntime-node');
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const init = (name: string, dims: number[], seed: number, lo = -0.5, hi = 0.5) => ({
  name,
  dims,
  data: Array.from(random(size(dims), seed, lo, hi)),
});

const unet: ModelSpec = {
  nodes: [
    { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1] } },
    { op: 'Tanh', inputs: ['c1'], outputs: ['e1'] },
    { op: 'Conv', inputs: ['e1', 'w2', 'b2'], outputs: ['c2'], attrs: { pads: [1, 1, 1, 1], strides: [2, 2] } },
    { op: 'Tanh', inputs: ['c2'], outputs: ['e2'] },
    { op: 'ConvTranspose', inputs: ['e2', 'wt', 'bt'], outputs: ['u1'], attrs: { strides: [2, 2] } },
    { op: 'Concat', inputs: ['u1', 'e1'], outputs: ['cat'], attrs: { axis: 1 } },
    { op: 'InstanceNormalization', inputs: ['cat', 'gamma', 'beta'], outputs: ['norm'] },
    {
      op: 'ConvTranspose',
      inputs: ['norm', 'wt2'],
      outputs: ['u2'],
      attrs: { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1], group: 2 },
    },
    { op: 'Conv', inputs: ['u2', 'w3', 'b3'], outputs: ['y'] },
  ],
  inputs: [{ name: 'x', dims: [1, 3, 16, 16] }],
  outputs: ['y', 'e1', 'e2', 'u1', 'norm', 'u2'],
  initializers: [
    init('w1', [8, 3, 3, 3], 1),
    init('b1', [8], 2),
    init('w2', [16, 8, 3, 3], 3),
    init('b2', [16], 4),
    init('wt', [16, 8, 2, 2], 5),
    init('bt', [8], 6),
    init('gamma', [16], 7, 0.5, 1.5),
    init('beta', [16], 8),
    init('wt2', [16, 4, 3, 3], 9),
    init('w3', [2, 8, 1, 1], 10),
    init('b3', [2], 11),
  ],
  opset: 17,
};

const yolo: ModelSpec = {
  nodes: [
    { op: 'SpaceToDepth', inputs: ['x'], outputs: ['s2d'], attrs: { blocksize: 2 } },
    { op: 'Conv', inputs: ['s2d', 'w1', 'b1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1] } },
    { op: 'Sigmoid', inputs: ['c1'], outputs: ['a1'] },
    { op: 'Mul', inputs: ['c1', 'a1'], outputs: ['silu'] },
    { op: 'Conv', inputs: ['silu', 'w2', 'b2'], outputs: ['c2'] },
    { op: 'DepthToSpace', inputs: ['c2'], outputs: ['up'], attrs: { blocksize: 2, mode: 'CRD' } },
    { op: 'Concat', inputs: ['up', 'x'], outputs: ['cat'], attrs: { axis: 1 } },
    { op: 'Conv', inputs: ['cat', 'w3', 'b3'], outputs: ['head'] },
    { op: 'Sigmoid', inputs: ['head'], outputs: ['y'] },
  ],
  inputs: [{ name: 'x', dims: [1, 3, 16, 16] }],
  outputs: ['y', 's2d', 'silu', 'up', 'head'],
  initializers: [
    init('w1', [16, 12, 3, 3], 21),
    init('b1', [16], 22),
    init('w2', [16, 16, 1, 1], 23),
    init('b2', [16], 24),
    init('w3', [6, 7, 1, 1], 25),
    init('b3', [6], 26),
  ],
  opset: 13,
};

for (const [name, spec] of [
  ['U-Net with ConvTranspose and InstanceNormalization', unet],
  ['YOLO-style head with SpaceToDepth and DepthToSpace', yolo],
] as const) {
  describe(name, () => {
    it('matches onnxruntime at every tensor, and its input gradient matches a directional difference', async () => {
      const bytes = encodeModel(spec);
      const x = random(3 * 16 * 16, 31);
      const session = await ort.InferenceSession.create(bytes);
      const ref = await session.run({ x: new ort.Tensor('float32', x, [1, 3, 16, 16]) });
      await session.release();
      const model = await loadModel(bytes, { runtime: await testRuntime() });
      const run = await model.run({ data: x, shape: [1, 3, 16, 16] });
      for (const t of spec.outputs) {
        const got = await run.read(t);
        expect(got.shape, t).toEqual([...ref[t].dims]);
        const e = maxRelError(got.data, ref[t].data);
        if (process.env.CAMANIM_REPORT) console.log(`${name} ${t}: ${e}`);
        // Measured worst 1.3e-6 (u2, after InstanceNormalization).
        expect(e, t).toBeLessThan(1e-5);
      }
      const w = random(size(ref.y.dims), 32);
      const loss = (y: Float32Array) => y.reduce((s, v, i) => s + v * w[i], 0);
      const grads = await run.backward(
        [{ describe: 'Σ w·y', score: (row: Float32Array) => ({ value: loss(row), grad: Float32Array.from(w) }) }],
        { output: 'y', layers: ['x'] },
      );
      const g = (await grads.read('x')).data;
      const v = random(x.length, 33);
      const eps = 1e-2;
      const at = async (s: number) => {
        const r = await model.run({ data: x.map((xi, i) => xi + s * v[i]), shape: [1, 3, 16, 16] });
        const l = loss((await r.read('y')).data);
        r.dispose();
        return l;
      };
      const numeric = (Number(await at(eps)) - Number(await at(-eps))) / (2 * eps);
      const analytic = g.reduce((s, gi, i) => s + gi * v[i], 0);
      if (process.env.CAMANIM_REPORT) console.log(`${name} directional: ${analytic} vs ${numeric}`);
      // Measured 7e-4 (U-Net) and 1.2e-4 (YOLO head): the central difference's O(ε²) curvature.
      expect(Math.abs(analytic - numeric) / Math.max(1, Math.abs(numeric))).toBeLessThan(2e-3);
      grads.dispose();
      run.dispose();
      model.dispose();
    });
  });
}
