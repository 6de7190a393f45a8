import { describe, it } from 'vitest';
import { random } from './gpu.ts';
import { checkLinearOp, iota, take } from './linear-op.ts';

const ints = (data: number[]) => ({ shape: [data.length], data, constant: true, dtype: 'int64' as const });

describe('Expand: broadcast forward, VJP summed over the broadcast dims by autodiff, fold', () => {
  it('[3, 1] to [2, 3, 4]', () =>
    checkLinearOp({
      name: 'expand',
      opType: 'Expand',
      inputs: [{ shape: [3, 1], data: random(3, 2) }, ints([2, 1, 4])],
      // out[b, i, j] = x[i, 0]: the broadcast as a take over a leading unit axis.
      reference: (x) => [take(x, [1, 3, 1], [[0, 0], iota(3), [0, 0, 0, 0]])],
    }));
  it('shape smaller than the input keeps the input dims', () =>
    checkLinearOp({
      name: 'keep',
      opType: 'Expand',
      inputs: [{ shape: [2, 1, 3], data: random(6, 3) }, ints([4, 1])],
      reference: (x) => [take(x, [2, 1, 3], [iota(2), [0, 0, 0, 0], iota(3)])],
    }));
});
