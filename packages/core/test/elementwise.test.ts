import { describe, expect, it } from 'vitest';
import { binaryRows } from '../src/ops/binary.ts';
import { unaryRows } from '../src/ops/unary.ts';
import { maxRelError, random, singleOpModel } from './gpu.ts';

describe('unary ops match their host definitions', () => {
  for (const row of unaryRows) {
    it(row.type, async () => {
      const shape = [2, 3, 5, 7];
      const positive = ['Sqrt', 'Log'].includes(row.type);
      const x = random(210, 7, positive ? 0.1 : -4, 4);
      const { model, feeds } = await singleOpModel(row.type, [{ shape, data: x }]);
      const run = await model.run(feeds);
      const y = await run.read('out0');
      const p =
        row.params?.({ name: 'n', opType: row.type, domain: '', inputs: [], outputs: [], attributes: new Map() }, 17) ?? {};
      const want = Array.from(x, (v) => row.host(v, p));
      expect(y.shape).toEqual(shape);
      expect(maxRelError(y.data, want)).toBeLessThan(2e-6);
      run.dispose();
      model.dispose();
    });
  }
});

describe('binary ops broadcast like numpy', () => {
  for (const row of binaryRows) {
    it(row.type, async () => {
      const a = random(2 * 3 * 4, 3, 0.5, 2);
      const b = random(3 * 1, 5, 0.5, 2);
      const { model, feeds } = await singleOpModel(row.type, [
        { shape: [2, 3, 4], data: a },
        { shape: [3, 1], data: b },
      ]);
      const run = await model.run(feeds);
      const y = await run.read('out0');
      const want = Array.from({ length: 24 }, (_, i) => row.host(a[i], b[Math.floor(i / 4) % 3]));
      expect(y.shape).toEqual([2, 3, 4]);
      expect(maxRelError(y.data, want)).toBeLessThan(2e-6);
      model.dispose();
    });
  }
});
