import { describe, it } from 'vitest';
import { random } from './gpu.ts';
import { checkLinearOp, iota, take } from './linear-op.ts';

const ints = (data: number[]) => ({ shape: [data.length], data, constant: true, dtype: 'int64' as const });

/** numpy.pad index rules per mode, applied to the source coordinate j of an axis of n. */
const modes: Record<string, (j: number, n: number) => number> = {
  constant: (j, n) => (j < 0 || j >= n ? -1 : j),
  edge: (j, n) => Math.min(n - 1, Math.max(0, j)),
  reflect: (j, n) => {
    // Bounce off the ends until inside (numpy 'reflect' for pads wider than the axis too).
    while (j < 0 || j >= n) j = j < 0 ? -j : 2 * (n - 1) - j;
    return j;
  },
};

function padRef(shape: number[], pads: number[], mode: string, value = 0) {
  const r = shape.length;
  return (x: Float64Array) => [
    take(
      x,
      shape,
      shape.map((n, k) => iota(n + pads[k] + pads[k + r]).map((o) => modes[mode](o - pads[k], n))),
      value,
    ),
  ];
}

describe('Pad: forward, VJP (crop / summed mirror contributions) and fold', () => {
  const shape = [1, 2, 4, 3];
  const x = { shape, data: random(24, 12) };
  const pads = [0, 0, 2, 1, 0, 0, 1, 2];
  for (const mode of ['constant', 'edge', 'reflect']) {
    it(`${mode} (opset 13 inputs)`, () =>
      checkLinearOp({
        name: mode,
        opType: 'Pad',
        inputs: [x, ints(pads), { shape: [], data: [0.5], constant: true }],
        attrs: { mode },
        reference: padRef(shape, pads, mode, mode === 'constant' ? 0.5 : 0),
      }));
  }
  it('reflect wider than the axis', () =>
    checkLinearOp({
      name: 'reflect wide',
      opType: 'Pad',
      inputs: [{ shape: [2, 3], data: random(6, 4) }, ints([0, 5, 0, 4])],
      attrs: { mode: 'reflect' },
      reference: padRef([2, 3], [0, 5, 0, 4], 'reflect'),
    }));
  it('negative pads crop', () =>
    checkLinearOp({
      name: 'crop',
      opType: 'Pad',
      inputs: [x, ints([0, -1, 1, 0, 0, 0, -2, 1])],
      reference: padRef(shape, [0, -1, 1, 0, 0, 0, -2, 1], 'constant'),
    }));
  it('pads and value attributes (opset 2)', () =>
    checkLinearOp({
      name: 'opset 2',
      opType: 'Pad',
      inputs: [x],
      attrs: { pads, value: -1.5 },
      opset: 2,
      reference: padRef(shape, pads, 'constant', -1.5),
    }));
  it('axes input (opset 18)', () =>
    checkLinearOp({
      name: 'axes',
      opType: 'Pad',
      inputs: [x, ints([1, 2, 0, 1]), { shape: [0], data: [], constant: true, name: '' }, ints([-1, 2])],
      attrs: { mode: 'edge' },
      opset: 18,
      reference: padRef(shape, [0, 0, 2, 1, 0, 0, 1, 0], 'edge'),
    }));
});
