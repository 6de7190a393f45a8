import { describe, it } from 'vitest';
import { random } from './gpu.ts';
import { checkLinearOp, iota, take } from './linear-op.ts';

// As a float64 reads int64's extremes (2^63 - 1 rounds to 2^63).
const INT64_MAX = 2 ** 63;
const INT64_MIN = -(2 ** 63);
const ints = (data: number[]) => ({ shape: [data.length], data, constant: true, dtype: 'int64' as const });

/** Python's slice(start, end, step).indices(dim), walked. */
function pyRange(dim: number, start: number, end: number, step: number): number[] {
  const norm = (v: number, lo: number, hi: number) => (v < 0 ? Math.max(lo, v + dim) : Math.min(v, hi));
  const [s, e] = step > 0 ? [norm(start, 0, dim), norm(end, 0, dim)] : [norm(start, -1, dim - 1), norm(end, -1, dim - 1)];
  const out: number[] = [];
  for (let i = s; step > 0 ? i < e : i > e; i += step) out.push(i);
  return out;
}

function sliceRef(shape: number[], starts: number[], ends: number[], axes?: number[], steps?: number[]) {
  return (x: Float64Array) => {
    const lists = shape.map((d) => iota(d));
    starts.forEach((s, k) => {
      const a = axes ? (axes[k] + shape.length) % shape.length : k;
      lists[a] = pyRange(shape[a], s, ends[k], steps?.[k] ?? 1);
    });
    return [take(x, shape, lists)];
  };
}

const shape = [3, 4, 5];
const x = { shape, data: random(60, 3) };

describe('Slice: forward, VJP (zeros outside the window) and fold', () => {
  it('starts/ends/axes inputs (opset 13)', () =>
    checkLinearOp({
      name: 'basic',
      opType: 'Slice',
      inputs: [x, ints([0, 1]), ints([2, -1]), ints([0, 2])],
      reference: sliceRef(shape, [0, 1], [2, -1], [0, 2]),
    }));
  it('negative step to INT64_MIN', () =>
    checkLinearOp({
      name: 'neg step',
      opType: 'Slice',
      inputs: [x, ints([-1]), ints([INT64_MIN]), ints([1]), ints([-2])],
      reference: sliceRef(shape, [-1], [INT64_MIN], [1], [-2]),
    }));
  it('INT64_MAX end, negative axis, step 2', () =>
    checkLinearOp({
      name: 'int64 max',
      opType: 'Slice',
      inputs: [x, ints([1]), ints([INT64_MAX]), ints([-1]), ints([2])],
      reference: sliceRef(shape, [1], [INT64_MAX], [2], [2]),
    }));
  it('out-of-range start gives an empty axis', () =>
    checkLinearOp({
      name: 'empty',
      opType: 'Slice',
      inputs: [x, ints([7]), ints([9]), ints([2])],
      reference: sliceRef(shape, [7], [9], [2]),
      noVjp: true,
    }));
  it('attributes (opset 9), default axes', () =>
    checkLinearOp({
      name: 'opset 9',
      opType: 'Slice',
      inputs: [x],
      attrs: { starts: [1, 0], ends: [3, -2] },
      opset: 9,
      reference: sliceRef(shape, [1, 0], [3, -2]),
    }));
});
