import { describe, expect, it } from 'vitest';
import { loadModel } from '@camanim/core';
import { encodeModel } from '../../core/test/onnx-builder.ts';
import { computeCams, firstComponentProjection } from '../src/index.ts';
import { resizeAlignCorners } from '../src/resize.ts';
import { seeded, testRuntime } from './gpu.ts';

// x [1,2,4,4] → Relu → r; r → Mul(k) → a [1,2,4,4]; a → ReduceMean(2,3) → p [1,2]; y = p ⊙ head.
const scale = [1.2, -0.8];
const head = [1, -1.5];
const bytes = encodeModel({
  nodes: [
    { op: 'Relu', inputs: ['x'], outputs: ['r'] },
    { op: 'Mul', inputs: ['r', 'k'], outputs: ['a'] },
    { op: 'ReduceMean', inputs: ['a'], outputs: ['p'], attrs: { axes: [2, 3], keepdims: 0 } },
    { op: 'Mul', inputs: ['p', 'head'], outputs: ['y'] },
  ],
  inputs: [{ name: 'x', dims: ['n', 2, 4, 4] }],
  outputs: ['y'],
  initializers: [
    { name: 'k', dims: [1, 2, 1, 1], data: scale },
    { name: 'head', dims: [1, 2], data: head },
  ],
});
const x = seeded(32, 21, -1, 2);

/** The model on the host: y_j = head_j · mean(k_j · relu(x_j)). */
function forward(img: ArrayLike<number>): number[] {
  return [0, 1].map((j) => {
    let s = 0;
    for (let p = 0; p < 16; p++) s += scale[j] * Math.max(img[j * 16 + p], 0);
    return (head[j] * s) / 16;
  });
}

describe('methods with extra forwards', () => {
  it('ablationcam: w_c = (y − y_c)/y with channel c of the layer zeroed', async () => {
    const model = await loadModel(bytes, { runtime: await testRuntime() });
    const run = await model.run({ data: x, shape: [1, 2, 4, 4] });
    const stack = await computeCams(run, { method: 'ablationcam', target: { class: 0 }, layers: { names: ['r'] } });
    const y = forward(x)[0];
    const want = [0, 1].map((c) => {
      const ablated = Float32Array.from(x).fill(-1, c * 16, (c + 1) * 16); // relu(−1) = 0: the channel zeroed
      return (y - forward(ablated)[0]) / y;
    });
    expect(Array.from(stack.layers[0].weights!)).toEqual(want.map((v) => expect.closeTo(v, 5)));
  });

  it('scorecam: softmax over channels of the target score of the input masked by each upsampled channel', async () => {
    const model = await loadModel(bytes, { runtime: await testRuntime() });
    const run = await model.run({ data: x, shape: [1, 2, 4, 4] });
    const stack = await computeCams(run, { method: 'scorecam', target: { class: 1 }, layers: { names: ['a'] } });
    const a = (await run.read('a')).data;
    const scores = [0, 1].map((c) => {
      const m = resizeAlignCorners(a.subarray(c * 16, (c + 1) * 16), 4, 4, 4, 4);
      const lo = Math.min(...m);
      const hi = Math.max(...m);
      const masked = Array.from(x, (v, i) => v * ((m[i % 16] - lo) / (hi - lo + 1e-8)));
      return forward(masked)[1];
    });
    const e = scores.map((s) => Math.exp(s - Math.max(...scores)));
    const want = e.map((v) => v / (e[0] + e[1]));
    expect(Array.from(stack.layers[0].weights!)).toEqual(want.map((v) => expect.closeTo(v, 5)));
  });

  it('eigencam: first principal component, sign by Σ v ≥ 0, matches a host power-free eigen solve', async () => {
    const model = await loadModel(bytes, { runtime: await testRuntime() });
    const run = await model.run({ data: x, shape: [1, 2, 4, 4] });
    const stack = await computeCams(run, { method: 'eigencam', target: { class: 0 }, layers: { names: ['a'] } });
    const a = (await run.read('a')).data;
    // 2 channels: the covariance is 2x2, its top eigenvector has a closed form.
    const mean = [0, 1].map((c) => a.subarray(c * 16, (c + 1) * 16).reduce((s, v) => s + v, 0) / 16);
    const xc = (c: number, p: number) => a[c * 16 + p] - mean[c];
    let [s00, s01, s11] = [0, 0, 0];
    for (let p = 0; p < 16; p++) {
      s00 += xc(0, p) ** 2;
      s01 += xc(0, p) * xc(1, p);
      s11 += xc(1, p) ** 2;
    }
    const lambda = (s00 + s11) / 2 + Math.sqrt(((s00 - s11) / 2) ** 2 + s01 ** 2);
    let v = [s01, lambda - s00];
    const norm = Math.hypot(v[0], v[1]);
    v = v.map((e) => e / norm);
    if (v[0] + v[1] < 0) v = v.map((e) => -e);
    const want = Array.from({ length: 16 }, (_, p) => xc(0, p) * v[0] + xc(1, p) * v[1]);
    want.forEach((w, p) => expect(stack.layers[0].raw[p]).toBeCloseTo(w, 4));
    expect(Array.from(firstComponentProjection(a, 2, 16))).toEqual(Array.from(stack.layers[0].raw));
  });

  it('randomcam repeats with a seed and differs across seeds', async () => {
    const model = await loadModel(bytes, { runtime: await testRuntime() });
    const run = await model.run({ data: x, shape: [1, 2, 4, 4] });
    const w = async (seed: number) =>
      Array.from(
        (await computeCams(run, { method: 'randomcam', target: { class: 0 }, layers: { names: ['a'] }, seed })).layers[0]
          .weights!,
      );
    const [w1, w2, w3] = [await w(1), await w(1), await w(2)];
    expect(w1).toEqual(w2);
    expect(w1).not.toEqual(w3);
    w1.forEach((v) => expect(Math.abs(v)).toBeLessThanOrEqual(1));
  });
});
