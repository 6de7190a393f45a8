import { describe, expect, it } from 'vitest';
import type { AttrValue } from '../src/graph/ir.ts';
import { maxRelError, random, singleOpModel } from './gpu.ts';
import { gradCheck } from './gradcheck.ts';
import { forEachWindow, type PoolRef } from './pool-reference.ts';
import { analyticVjp } from './vjp.ts';

interface Case {
  name: string;
  input: number[];
  attrs: Record<string, AttrValue>;
  /** Expected geometry, worked out by hand from the ONNX formulas. */
  ref: PoolRef;
}

const cases: Case[] = [
  {
    name: '2-D default',
    input: [2, 3, 7, 6],
    attrs: { kernel_shape: [2, 2] },
    ref: { kernel: [2, 2], strides: [1, 1], dilations: [1, 1], padsBegin: [0, 0], padsEnd: [0, 0], output: [2, 3, 6, 5] },
  },
  {
    name: '2-D 3x3 s2 p1 (ResNet stem)',
    input: [1, 2, 9, 8],
    attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
    ref: { kernel: [3, 3], strides: [2, 2], dilations: [1, 1], padsBegin: [1, 1], padsEnd: [1, 1], output: [1, 2, 5, 4] },
  },
  {
    name: '2-D dilations, asymmetric pads',
    input: [1, 2, 7, 7],
    attrs: { kernel_shape: [2, 3], dilations: [2, 2], pads: [1, 0, 1, 2] },
    ref: { kernel: [2, 3], strides: [1, 1], dilations: [2, 2], padsBegin: [1, 0], padsEnd: [1, 2], output: [1, 2, 7, 5] },
  },
  {
    name: '2-D ceil_mode',
    input: [1, 2, 8, 7],
    attrs: { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 },
    ref: { kernel: [3, 3], strides: [2, 2], dilations: [1, 1], padsBegin: [0, 0], padsEnd: [0, 0], output: [1, 2, 4, 3] },
  },
  // ceil would give 3 windows per dim; the third would start in the end padding (PyTorch drops it).
  {
    name: '2-D ceil_mode drops a window starting in the padding',
    input: [1, 1, 4, 4],
    attrs: { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 1, 1], ceil_mode: 1 },
    ref: { kernel: [2, 2], strides: [2, 2], dilations: [1, 1], padsBegin: [0, 0], padsEnd: [1, 1], output: [1, 1, 2, 2] },
  },
  {
    name: '2-D SAME_UPPER s2',
    input: [1, 2, 7, 6],
    attrs: { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' },
    ref: { kernel: [3, 3], strides: [2, 2], dilations: [1, 1], padsBegin: [1, 0], padsEnd: [1, 1], output: [1, 2, 4, 3] },
  },
  {
    name: '2-D SAME_LOWER',
    input: [1, 2, 5, 5],
    attrs: { kernel_shape: [2, 2], auto_pad: 'SAME_LOWER' },
    ref: { kernel: [2, 2], strides: [1, 1], dilations: [1, 1], padsBegin: [1, 1], padsEnd: [0, 0], output: [1, 2, 5, 5] },
  },
  {
    name: '2-D VALID',
    input: [1, 2, 7, 6],
    attrs: { kernel_shape: [3, 2], strides: [2, 2], auto_pad: 'VALID' },
    ref: { kernel: [3, 2], strides: [2, 2], dilations: [1, 1], padsBegin: [0, 0], padsEnd: [0, 0], output: [1, 2, 3, 3] },
  },
  {
    name: '1-D',
    input: [2, 3, 11],
    attrs: { kernel_shape: [3], strides: [2], pads: [1, 0] },
    ref: { kernel: [3], strides: [2], dilations: [1], padsBegin: [1], padsEnd: [0], output: [2, 3, 5] },
  },
  {
    name: '3-D',
    input: [1, 2, 5, 4, 6],
    attrs: { kernel_shape: [2, 2, 3], strides: [2, 1, 2], pads: [1, 0, 1, 0, 1, 1] },
    ref: {
      kernel: [2, 2, 3],
      strides: [2, 1, 2],
      dilations: [1, 1, 1],
      padsBegin: [1, 0, 1],
      padsEnd: [0, 1, 1],
      output: [1, 2, 3, 4, 3],
    },
  },
];

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Distinct values 0.01 apart in a seeded order: no ties, and finite differences never flip an argmax. */
function distinct(n: number, seed: number): Float32Array {
  const keys = random(n, seed);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => keys[a] - keys[b]);
  const out = new Float32Array(n);
  order.forEach((idx, rank) => (out[idx] = (rank - n / 2) * 0.01));
  return out;
}

function hostMaxPool(x: ArrayLike<number>, c: Case): number[] {
  const y = new Array(size(c.ref.output)).fill(-Infinity);
  forEachWindow(c.input, c.ref, (o, taps) => taps.forEach((t) => (y[o] = Math.max(y[o], x[t]))));
  return y;
}

/** The gradient definition: each window's g goes to the first maximum in window order. */
function hostMaxPoolGrad(x: ArrayLike<number>, w: ArrayLike<number>, c: Case): number[] {
  const dx = new Array(size(c.input)).fill(0);
  forEachWindow(c.input, c.ref, (o, taps) => {
    let best = -1;
    for (const t of taps) if (best < 0 || x[t] > x[best]) best = t;
    if (best >= 0) dx[best] += w[o];
  });
  return dx;
}

describe('MaxPool forward matches a float64 reference', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const x = random(size(c.input), 5, -3, 3);
      const { model, feeds } = await singleOpModel('MaxPool', [{ shape: c.input, data: x }], c.attrs);
      const y = await (await model.run(feeds)).read('out0');
      expect(y.shape).toEqual(c.ref.output);
      expect(maxRelError(y.data, hostMaxPool(x, c))).toBe(0);
      model.dispose();
    });
  }
});

describe('MaxPool VJP routes each window to its first maximum', () => {
  for (const c of cases) {
    it(c.name, async () => {
      // Quantized values make ties, where PyTorch's first-max rule decides.
      const x = random(size(c.input), 7, -2, 2).map((v) => Math.round(v * 2) / 2);
      const w = random(size(c.ref.output), 8);
      const [dx] = await analyticVjp('MaxPool', [{ shape: c.input, data: x }], c.attrs, w, [0]);
      expect(maxRelError(dx, hostMaxPoolGrad(x, w, c))).toBeLessThan(1e-6);
    });
  }
  it('matches finite differences (2-D 3x3 s2 p1)', async () => {
    const c = cases[1];
    await gradCheck('MaxPool', [{ shape: c.input, data: distinct(size(c.input), 3) }], c.attrs, { eps: 1e-3, samples: 24 });
  });
});

describe('MaxPool refusals name the node', () => {
  it('the Indices output', async () => {
    const { model, feeds } = await singleOpModel(
      'MaxPool',
      [{ shape: [1, 1, 4, 4], data: random(16) }],
      { kernel_shape: [2, 2] },
      { outputs: 2 },
    );
    await expect(model.run(feeds)).rejects.toThrow(/Indices output is not supported.*MaxPool_node/);
    model.dispose();
  });
  it('a rank-2 input', async () => {
    const { model, feeds } = await singleOpModel('MaxPool', [{ shape: [4, 4], data: random(16) }], { kernel_shape: [2] });
    await expect(model.run(feeds)).rejects.toThrow(/rank 3 or more.*MaxPool_node/);
    model.dispose();
  });
});
