/**
 * FullGrad and ShapleyCAM beyond the parity fixtures (test/parity/cams-netwide.test.ts): a batch
 * of two images gives each image's own maps, frames follow the resolution rule, and the GPU
 * memory they borrow goes back.
 */
import { describe, expect, it } from 'vitest';
import { loadModel, type Model, type Target } from '@camanim/core';
import { encodeModel } from '../../core/test/onnx-builder.ts';
import { computeCams, fullGradSaliency } from '../src/index.ts';
import { seeded, testRuntime } from './gpu.ts';

/** x [n,2,6,6] → Conv+b → Relu → BN → c1 [3,6,6] → MaxPool 2 → p [3,3,3] → Conv+b → Relu → r2 → GAP → Gemm+b → y [n,4]. */
function net(): Uint8Array {
  return encodeModel({
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c0'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'Relu', inputs: ['c0'], outputs: ['r1'] },
      { op: 'BatchNormalization', inputs: ['r1', 'scale', 'shift', 'mean', 'var'], outputs: ['c1'] },
      { op: 'MaxPool', inputs: ['c1'], outputs: ['p'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      { op: 'Conv', inputs: ['p', 'w2', 'b2'], outputs: ['c2'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'Relu', inputs: ['c2'], outputs: ['r2'] },
      { op: 'GlobalAveragePool', inputs: ['r2'], outputs: ['g'] },
      { op: 'Flatten', inputs: ['g'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'wf', 'bf'], outputs: ['y'], attrs: { transB: 1 } },
    ],
    inputs: [{ name: 'x', dims: ['n', 2, 6, 6] }],
    outputs: ['y'],
    initializers: [
      { name: 'w1', dims: [3, 2, 3, 3], data: Array.from(seeded(54, 1, -1, 1)) },
      { name: 'b1', dims: [3], data: [0.3, -0.2, 0.1] },
      { name: 'scale', dims: [3], data: [1.2, 0.8, -0.5] },
      { name: 'shift', dims: [3], data: [0.1, -0.4, 0.25] },
      { name: 'mean', dims: [3], data: [0.5, 0.2, 0.3] },
      { name: 'var', dims: [3], data: [1.5, 0.7, 2] },
      { name: 'w2', dims: [4, 3, 3, 3], data: Array.from(seeded(108, 2, -1, 1)) },
      { name: 'b2', dims: [4], data: [-0.1, 0.2, 0.05, 0.3] },
      { name: 'wf', dims: [4, 4], data: Array.from(seeded(16, 3, -1, 1)) },
      { name: 'bf', dims: [4], data: [0.1, 0, -0.1, 0.2] },
    ],
    opset: 13,
  });
}

const LAYERS = ['c0', 'c1', 'p', 'c2', 'r2'];
const images = [seeded(72, 7, -1, 1), seeded(72, 8, -1, 1)];

async function maps(
  model: Model,
  data: Float32Array,
  n: number,
  method: string,
  target: Target,
): Promise<{ raw: Float32Array[]; saliency: Float32Array }> {
  const run = await model.run({ data, shape: [n, 2, 6, 6] });
  try {
    const stack = await computeCams(run, { method, target, layers: { names: LAYERS } });
    return { raw: stack.layers.map((l) => l.raw), saliency: await fullGradSaliency(run, target) };
  } finally {
    run.dispose();
  }
}

describe('FullGrad and ShapleyCAM', () => {
  for (const [method, target] of [
    ['fullgrad', { class: 2 }],
    ['shapleycam', { class: 2, kind: 'rest' }],
  ] as const) {
    it(`${method}: a batch of two gives each image's own maps, and the GPU memory goes back`, async () => {
      const rt = await testRuntime();
      const before = rt.stats().liveBytes;
      const model = await loadModel(net(), { runtime: rt, inputShape: [1, 2, 6, 6] });
      const both = await maps(model, Float32Array.from([...images[0], ...images[1]]), 2, method, target);
      for (const [b, image] of images.entries()) {
        const one = await maps(model, image, 1, method, target);
        one.raw.forEach((m, k) => {
          const scale = Math.max(...m.map(Math.abs)) || 1;
          Array.from(both.raw[k].subarray(b * m.length, (b + 1) * m.length)).forEach((v, i) =>
            expect(Math.abs(v - m[i]) / scale, LAYERS[k]).toBeLessThan(1e-5),
          );
        });
        Array.from(both.saliency.subarray(b * 36, (b + 1) * 36)).forEach((v, i) => expect(v).toBeCloseTo(one.saliency[i], 4));
      }
      model.dispose();
      expect(rt.stats().liveBytes).toBe(before);
    });
  }

  it("fullgrad frames: the bias terms at the layer's resolution that feed it", async () => {
    const model = await loadModel(net(), { runtime: await testRuntime(), inputShape: [1, 2, 6, 6] });
    const [c0, c1, p, c2, r2] = (await maps(model, images[0], 1, 'fullgrad', { class: 2 })).raw;
    const bn = c1.map((v, i) => v - c0[i]); // BN's own term: a sum of 3 maps scaled to [0, 1]
    expect(Math.max(...bn)).toBeGreaterThan(0.5);
    for (const v of bn) expect(v >= -1e-6 && v <= 3 + 1e-6).toBe(true);
    expect(Math.max(...c0)).toBeGreaterThan(0.5);
    expect(Array.from(p)).toEqual(new Array(9).fill(0)); // no bias layer at 3×3 feeds the pooling
    expect(Array.from(r2)).toEqual(Array.from(c2)); // Relu adds no term
    model.dispose();
  });
});
