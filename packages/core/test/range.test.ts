import { describe, expect, it } from 'vitest';
import { singleOpModel } from './gpu.ts';

const scalar = (v: number, dtype: 'int64' | 'float32') => ({ shape: [], data: [v], constant: true, dtype });

describe('Range folds on the host', () => {
  for (const [start, limit, delta, dtype, want] of [
    [0, 5, 1, 'int64', [0, 1, 2, 3, 4]],
    [10, 4, -3, 'int64', [10, 7]],
    [1, 2, 0.25, 'float32', [1, 1.25, 1.5, 1.75]],
    [3, 1, 1, 'int64', []],
  ] as const) {
    it(`range(${start}, ${limit}, ${delta})`, async () => {
      const { model } = await singleOpModel('Range', [scalar(start, dtype), scalar(limit, dtype), scalar(delta, dtype)]);
      const t = model.planFor(new Map()).inferred.consts.get('out0')!;
      expect(t.dtype).toBe(dtype);
      expect(t.shape).toEqual([want.length]);
      expect(Array.from(t.data)).toEqual(want);
      model.dispose();
    });
  }
});
