import { describe, expect, it } from 'vitest';
import { maxRelError, random, singleOpModel } from './gpu.ts';
import { gradCheck } from './gradcheck.ts';
import { analyticVjp } from './vjp.ts';

/** Per [N, C] plane of `x` (plane size `p`): reduce to one value. */
function perPlane(x: ArrayLike<number>, p: number, f: (plane: number[]) => number): number[] {
  return Array.from({ length: x.length / p }, (_, k) => f(Array.from({ length: p }, (_, j) => x[k * p + j])));
}

describe('global pools over 1-D, 2-D and 3-D planes', () => {
  for (const shape of [
    [2, 3, 10],
    [2, 5, 7, 6],
    [1, 2, 3, 4, 5],
  ]) {
    const p = shape.slice(2).reduce((a, b) => a * b, 1);
    const outShape = [...shape.slice(0, 2), ...shape.slice(2).map(() => 1)];
    const x = random(
      shape.reduce((a, b) => a * b, 1),
      4,
      -2,
      2,
    );
    it(`GlobalAveragePool [${shape}]`, async () => {
      const { model, feeds } = await singleOpModel('GlobalAveragePool', [{ shape, data: x }]);
      const y = await (await model.run(feeds)).read('out0');
      expect(y.shape).toEqual(outShape);
      expect(
        maxRelError(
          y.data,
          perPlane(x, p, (v) => v.reduce((a, b) => a + b, 0) / p),
        ),
      ).toBeLessThan(1e-6);
      model.dispose();
      const w = random(y.data.length, 9);
      const [dx] = await analyticVjp('GlobalAveragePool', [{ shape, data: x }], {}, w, [0]);
      expect(
        maxRelError(
          dx,
          Array.from(x, (_, i) => w[Math.floor(i / p)] / p),
        ),
      ).toBeLessThan(1e-6);
    });
    it(`GlobalMaxPool [${shape}]`, async () => {
      const { model, feeds } = await singleOpModel('GlobalMaxPool', [{ shape, data: x }]);
      const y = await (await model.run(feeds)).read('out0');
      expect(y.shape).toEqual(outShape);
      expect(
        maxRelError(
          y.data,
          perPlane(x, p, (v) => Math.max(...v)),
        ),
      ).toBe(0);
      model.dispose();
    });
  }
  it('GlobalMaxPool VJP goes to the first maximum of each plane (dead ReLU planes tie at 0)', async () => {
    const x = Float32Array.from([0, 0, 0, 0, 1, 3, 3, 2, -1, -4, -1, -2]);
    const [dx] = await analyticVjp('GlobalMaxPool', [{ shape: [1, 3, 2, 2], data: x }], {}, Float32Array.from([5, 6, 7]), [0]);
    expect(Array.from(dx)).toEqual([5, 0, 0, 0, 0, 6, 0, 0, 7, 0, 0, 0]);
  });
  it('GlobalAveragePool VJP matches finite differences', async () => {
    await gradCheck('GlobalAveragePool', [{ shape: [2, 3, 4, 5], data: random(120, 2) }], {}, { eps: 1e-3 });
  });
});
