/** Nice axis ticks: 1, 2, 2.5 or 5 times a power of ten, covering the range, printed exactly. */
import { describe, expect, it } from 'vitest';
import { niceTicks } from '../src/ticks.ts';

describe('niceTicks', () => {
  it('covers the range with a nice step and the decimals it needs', () => {
    expect(niceTicks(0, 1.82)).toEqual({ values: [0, 0.5, 1, 1.5, 2], step: 0.5, decimals: 1 });
    expect(niceTicks(-0.132, 0.04)).toEqual({ values: [-0.15, -0.1, -0.05, 0, 0.05], step: 0.05, decimals: 2 });
    expect(niceTicks(0, 0.9).step).toBe(0.25);
    expect(niceTicks(0, 0.9).decimals).toBe(2);
    expect(niceTicks(3, 3).values).toEqual([2, 2.5, 3, 3.5, 4]);
    for (const [lo, hi] of [
      [0, 1e-5],
      [-3.7, 120],
      [0.1, 0.1001],
    ]) {
      const t = niceTicks(lo, hi);
      expect(t.values[0]).toBeLessThanOrEqual(lo);
      expect(t.values.at(-1)).toBeGreaterThanOrEqual(hi);
      expect(t.values.length).toBeLessThanOrEqual(7);
      for (const v of t.values) expect(Number(v.toFixed(t.decimals))).toBe(v);
      expect([1, 2, 2.5, 5]).toContain(Number((t.step / 10 ** Math.floor(Math.log10(t.step))).toFixed(6)));
    }
  });
});
