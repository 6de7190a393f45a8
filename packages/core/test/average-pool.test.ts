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

const one = { strides: [1, 1], dilations: [1, 1], padsBegin: [0, 0], padsEnd: [0, 0] };
const cases: Case[] = [
  {
    name: '2-D default',
    input: [2, 3, 6, 5],
    attrs: { kernel_shape: [2, 2] },
    ref: { ...one, kernel: [2, 2], output: [2, 3, 5, 4] },
  },
  {
    name: '2-D pads, excluding pad',
    input: [1, 2, 6, 7],
    attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
    ref: { ...one, kernel: [3, 3], strides: [2, 2], padsBegin: [1, 1], padsEnd: [1, 1], output: [1, 2, 3, 4] },
  },
  {
    name: '2-D pads, count_include_pad',
    input: [1, 2, 6, 7],
    attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 2, 1, 0], count_include_pad: 1 },
    ref: { ...one, kernel: [3, 3], strides: [2, 2], padsBegin: [1, 2], padsEnd: [1, 0], output: [1, 2, 3, 4] },
  },
  // The ceil_mode window past the padded input counts only the taps inside the padded input.
  {
    name: '2-D ceil_mode, count_include_pad',
    input: [1, 2, 6, 6],
    attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1, count_include_pad: 1 },
    ref: { ...one, kernel: [3, 3], strides: [2, 2], padsBegin: [1, 1], padsEnd: [1, 1], output: [1, 2, 4, 4] },
  },
  {
    name: '2-D SAME_UPPER s2',
    input: [1, 2, 7, 6],
    attrs: { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' },
    ref: { ...one, kernel: [3, 3], strides: [2, 2], padsBegin: [1, 0], padsEnd: [1, 1], output: [1, 2, 4, 3] },
  },
  {
    name: '2-D SAME_LOWER, count_include_pad',
    input: [1, 2, 5, 5],
    attrs: { kernel_shape: [2, 2], auto_pad: 'SAME_LOWER', count_include_pad: 1 },
    ref: { ...one, kernel: [2, 2], padsBegin: [1, 1], padsEnd: [0, 0], output: [1, 2, 5, 5] },
  },
  {
    name: '2-D dilations (opset 19)',
    input: [1, 2, 7, 7],
    attrs: { kernel_shape: [2, 2], dilations: [2, 3] },
    ref: { ...one, kernel: [2, 2], dilations: [2, 3], output: [1, 2, 5, 4] },
  },
  {
    name: '1-D',
    input: [2, 3, 9],
    attrs: { kernel_shape: [4], strides: [3], pads: [2, 1] },
    ref: { kernel: [4], strides: [3], dilations: [1], padsBegin: [2], padsEnd: [1], output: [2, 3, 3] },
  },
  {
    name: '3-D',
    input: [1, 2, 4, 5, 3],
    attrs: { kernel_shape: [2, 3, 2], strides: [2, 2, 1], pads: [0, 1, 1, 0, 1, 0] },
    ref: {
      kernel: [2, 3, 2],
      strides: [2, 2, 1],
      dilations: [1, 1, 1],
      padsBegin: [0, 1, 1],
      padsEnd: [0, 1, 0],
      output: [1, 2, 2, 3, 3],
    },
  },
];

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const includePad = (c: Case) => c.attrs.count_include_pad === 1;

function hostAveragePool(x: ArrayLike<number>, c: Case): number[] {
  const y = new Array(size(c.ref.output)).fill(0);
  forEachWindow(c.input, c.ref, (o, taps, padded) => {
    const s = taps.reduce((a, t) => a + x[t], 0);
    y[o] = s / (includePad(c) ? padded : taps.length);
  });
  return y;
}

function hostAveragePoolGrad(w: ArrayLike<number>, c: Case): number[] {
  const dx = new Array(size(c.input)).fill(0);
  forEachWindow(c.input, c.ref, (o, taps, padded) =>
    taps.forEach((t) => (dx[t] += w[o] / (includePad(c) ? padded : taps.length))),
  );
  return dx;
}

describe('AveragePool matches float64 references', () => {
  for (const c of cases) {
    it(`${c.name}: forward`, async () => {
      const x = random(size(c.input), 5, -3, 3);
      const { model, feeds } = await singleOpModel('AveragePool', [{ shape: c.input, data: x }], c.attrs, { opset: 19 });
      const y = await (await model.run(feeds)).read('out0');
      expect(y.shape).toEqual(c.ref.output);
      expect(maxRelError(y.data, hostAveragePool(x, c))).toBeLessThan(1e-6);
      model.dispose();
    });
    it(`${c.name}: VJP`, async () => {
      const w = random(size(c.ref.output), 8);
      const [dx] = await analyticVjp('AveragePool', [{ shape: c.input, data: random(size(c.input), 5) }], c.attrs, w, [0], {
        opset: 19,
      });
      expect(maxRelError(dx, hostAveragePoolGrad(w, c))).toBeLessThan(1e-6);
    });
  }
  it('VJP matches finite differences (pads, count_include_pad)', async () => {
    const c = cases[2];
    await gradCheck('AveragePool', [{ shape: c.input, data: random(size(c.input), 3) }], c.attrs, { eps: 1e-3, samples: 24 });
  });
});
