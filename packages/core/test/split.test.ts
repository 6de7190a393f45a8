import { describe, it } from 'vitest';
import { random } from './gpu.ts';
import { checkLinearOp, iota, take } from './linear-op.ts';

const ints = (data: number[]) => ({ shape: [data.length], data, constant: true, dtype: 'int64' as const });

/** numpy.split at the running offsets of `sizes` along `axis`. */
function splitRef(shape: number[], axis: number, sizes: number[]) {
  return (x: Float64Array) => {
    let start = 0;
    return sizes.map((n) => {
      const lists = shape.map((d, k) => (k === axis ? iota(n).map((i) => i + start) : iota(d)));
      start += n;
      return take(x, shape, lists);
    });
  };
}

describe('Split: forward, VJP (pieces copied back) and fold', () => {
  const shape = [2, 6, 3];
  const x = { shape, data: random(36, 4) };
  it('split input (opset 13)', () =>
    checkLinearOp({
      name: 'input',
      opType: 'Split',
      inputs: [x, ints([1, 3, 2])],
      attrs: { axis: 1 },
      reference: splitRef(shape, 1, [1, 3, 2]),
    }));
  it('split attribute (opset 11)', () =>
    checkLinearOp({
      name: 'attr',
      opType: 'Split',
      inputs: [x],
      attrs: { axis: -1, split: [2, 1] },
      opset: 11,
      reference: splitRef(shape, 2, [2, 1]),
    }));
  it('equal parts, default axis', () =>
    checkLinearOp({ name: 'equal', opType: 'Split', inputs: [x], reference: splitRef(shape, 0, [1, 1]) }));
  it('num_outputs (opset 18): ceil-sized parts, last smaller', () =>
    checkLinearOp({
      name: 'num_outputs',
      opType: 'Split',
      inputs: [{ shape: [2, 5, 3], data: random(30, 8) }],
      attrs: { axis: 1, num_outputs: 3 },
      opset: 18,
      reference: splitRef([2, 5, 3], 1, [2, 2, 1]),
    }));
});
