import { describe, expect, it } from 'vitest';
import { binaryRows } from '../src/ops/binary.ts';
import { unaryRows } from '../src/ops/unary.ts';
import { maxRelError, random, singleOpModel } from './gpu.ts';

// 210 elements run one an invocation, 120 four an invocation (zipKernel's quads).
const SHAPES = [
  [2, 3, 5, 7],
  [2, 3, 4, 5],
];

describe('unary ops match their host definitions', () => {
  for (const row of unaryRows) {
    it.each(SHAPES)(`${row.type} [%i, %i, %i, %i]`, async (...shape) => {
      const positive = ['Sqrt', 'Log'].includes(row.type);
      const x = random(
        shape.reduce((a, b) => a * b, 1),
        7,
        positive ? 0.1 : -4,
        4,
      );
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
  // [2, 3, 4]: four elements an invocation, the broadcast operand read per element (along the
  // quad with [4], constant over it with [3, 1]); [2, 3, 5]: one element an invocation.
  const cases: [number, number[], (i: number) => number][] = [
    [4, [3, 1], (i) => Math.floor(i / 4) % 3],
    [4, [4], (i) => i % 4],
    [5, [3, 1], (i) => Math.floor(i / 5) % 3],
  ];
  for (const row of binaryRows) {
    it.each(cases)(`${row.type} [2, 3, %i] with %j`, async (last, bShape, bAt) => {
      const a = random(2 * 3 * last, 3, 0.5, 2);
      const b = random(
        bShape.reduce((x, y) => x * y, 1),
        5,
        0.5,
        2,
      );
      const { model, feeds } = await singleOpModel(row.type, [
        { shape: [2, 3, last], data: a },
        { shape: bShape, data: b },
      ]);
      const run = await model.run(feeds);
      const y = await run.read('out0');
      const want = Array.from({ length: 6 * last }, (_, i) => row.host(a[i], b[bAt(i)]));
      expect(y.shape).toEqual([2, 3, last]);
      expect(maxRelError(y.data, want)).toBeLessThan(2e-6);
      model.dispose();
    });
  }
});
