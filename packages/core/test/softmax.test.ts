import { describe, expect, it } from 'vitest';
import { maxRelError, random, singleOpModel } from './gpu.ts';
import { gradCheck } from './gradcheck.ts';

/** Softmax (or log-softmax) in float64 over rows of `len` elements `inner` apart. */
function hostSoftmax(x: ArrayLike<number>, len: number, inner: number, log: boolean): number[] {
  const y = new Array<number>(x.length);
  for (let o = 0; o < x.length / (len * inner); o++) {
    for (let k = 0; k < inner; k++) {
      const at = (j: number) => o * len * inner + j * inner + k;
      let m = -Infinity;
      for (let j = 0; j < len; j++) m = Math.max(m, x[at(j)]);
      let s = 0;
      for (let j = 0; j < len; j++) s += Math.exp(x[at(j)] - m);
      for (let j = 0; j < len; j++) y[at(j)] = log ? x[at(j)] - m - Math.log(s) : Math.exp(x[at(j)] - m) / s;
    }
  }
  return y;
}

const shape = [2, 3, 4, 5];
const size = 120;

/** [attrs, opset, row length, row stride] per variant. */
const variants: [Record<string, number>, number, number, number][] = [
  [{}, 13, 5, 1], // default axis -1
  [{ axis: 1 }, 13, 3, 20],
  [{ axis: 0 }, 13, 2, 60],
  [{ axis: -2 }, 13, 4, 5],
  [{}, 11, 60, 1], // opset < 13: coerced to 2-D at axis 1
  [{ axis: 2 }, 11, 20, 1],
  [{ axis: -1 }, 1, 5, 1],
];

for (const [type, log] of [
  ['Softmax', false],
  ['LogSoftmax', true],
] as const) {
  describe(`${type} matches a float64 reference`, () => {
    for (const [attrs, opset, len, inner] of variants) {
      it(`${JSON.stringify(attrs)} opset ${opset}`, async () => {
        const x = random(size, 3, -6, 6);
        const { model, feeds } = await singleOpModel(type, [{ shape, data: x }], attrs, { opset });
        const y = await (await model.run(feeds)).read('out0');
        expect(y.shape).toEqual(shape);
        expect(maxRelError(y.data, hostSoftmax(x, len, inner, log))).toBeLessThan(2e-6);
        model.dispose();
      });
    }
    it('large logits do not overflow', async () => {
      const x = Float32Array.from([1000, 1001, 1002, -1000, 0, 1000]);
      const { model, feeds } = await singleOpModel(type, [{ shape: [2, 3], data: x }]);
      const y = await (await model.run(feeds)).read('out0');
      expect(maxRelError(y.data, hostSoftmax(x, 3, 1, log))).toBeLessThan(2e-6);
      model.dispose();
    });
    it('VJP matches finite differences (axis 1, opset 13)', async () => {
      await gradCheck(type, [{ shape, data: random(size, 5, -2, 2) }], { axis: 1 }, { eps: 1e-3, opset: 13 });
    });
    it('VJP matches finite differences (2-D coercion, opset 11)', async () => {
      await gradCheck(type, [{ shape: [2, 3, 4], data: random(24, 6, -2, 2) }], { axis: 1 }, { eps: 1e-3, opset: 11 });
    });
  });
}
