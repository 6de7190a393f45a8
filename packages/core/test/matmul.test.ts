import { describe, expect, it } from 'vitest';
import { maxRelError, random, singleOpModel } from './gpu.ts';
import { analyticVjp } from './vjp.ts';

/** numpy matmul in float64: batch dims broadcast, 1-D operands promoted and their unit dim dropped. */
export function matmulRef(
  a: ArrayLike<number>,
  as: number[],
  b: ArrayLike<number>,
  bs: number[],
): { data: Float64Array; shape: number[] } {
  const a2 = as.length === 1 ? [1, as[0]] : as;
  const b2 = bs.length === 1 ? [bs[0], 1] : bs;
  const [m, k] = a2.slice(-2);
  const n = b2[b2.length - 1];
  const ab = a2.slice(0, -2);
  const bb = b2.slice(0, -2);
  const rank = Math.max(ab.length, bb.length);
  const pad = (s: number[]) => [...Array(rank - s.length).fill(1), ...s];
  const [pa, pb] = [pad(ab), pad(bb)];
  const batch = pa.map((d, i) => Math.max(d, pb[i]));
  const count = batch.reduce((x, y) => x * y, 1);
  const out = new Float64Array(count * m * n);
  const offset = (own: number[], bt: number) => {
    let idx = 0;
    let rest = bt;
    const coords = batch.map(() => 0);
    for (let d = rank - 1; d >= 0; d--) [coords[d], rest] = [rest % batch[d], Math.floor(rest / batch[d])];
    for (let d = 0; d < rank; d++) idx = idx * own[d] + (own[d] === 1 ? 0 : coords[d]);
    return idx;
  };
  for (let bt = 0; bt < count; bt++) {
    const ao = offset(pa, bt) * m * k;
    const bo = offset(pb, bt) * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += a[ao + i * k + q] * b[bo + q * n + j];
        out[(bt * m + i) * n + j] = s;
      }
    }
  }
  return { data: out, shape: [...batch, ...(as.length === 1 ? [] : [m]), ...(bs.length === 1 ? [] : [n])] };
}

const cases: [string, number[], number[]][] = [
  ['square 32', [32, 32], [32, 32]],
  ['odd sizes (scalar loads, guarded stores)', [7, 13], [13, 5]],
  ['K not a multiple of 4', [9, 6], [6, 12]],
  ['batched', [3, 5, 8], [3, 8, 12]],
  ['broadcast batch', [2, 1, 4, 6], [3, 6, 4]],
  ['1-D A', [12], [2, 12, 9]],
  ['1-D B', [4, 3, 10], [10]],
  ['both 1-D', [16], [16]],
  ['wide N (vec4 B)', [3, 64], [64, 200]],
];

describe('MatMul matches numpy matmul', () => {
  for (const [name, as, bs] of cases) {
    it(name, async () => {
      const a = random(
        as.reduce((x, y) => x * y, 1),
        3,
      );
      const b = random(
        bs.reduce((x, y) => x * y, 1),
        5,
      );
      const want = matmulRef(a, as, b, bs);
      const { model, feeds } = await singleOpModel('MatMul', [
        { shape: as, data: a },
        { shape: bs, data: b },
      ]);
      const run = await model.run(feeds);
      const y = await run.read('out0');
      expect(y.shape).toEqual(want.shape);
      expect(maxRelError(y.data, want.data)).toBeLessThan(1e-5);
      run.dispose();
      model.dispose();
    });
  }
});

/** dA = Σ_batch dY·Bᵀ, dB = Σ_batch Aᵀ·dY by their definition: d/dA_i of Σ w ⊙ matmul(A, B). */
function vjpRef(a: Float32Array, as: number[], b: Float32Array, bs: number[], w: Float32Array): [Float64Array, Float64Array] {
  const grad = (x: Float32Array, _xs: number[], f: (e: Float64Array) => Float64Array) => {
    const g = new Float64Array(x.length);
    const e = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      e[i] = 1;
      const y = f(e);
      for (let o = 0; o < y.length; o++) g[i] += y[o] * w[o];
      e[i] = 0;
    }
    return g;
  };
  return [grad(a, as, (e) => matmulRef(e, as, b, bs).data), grad(b, bs, (e) => matmulRef(a, as, e, bs).data)];
}

describe('MatMul VJP', () => {
  for (const [name, as, bs] of cases.filter(([n]) => !n.startsWith('wide'))) {
    it(name, async () => {
      const a = random(
        as.reduce((x, y) => x * y, 1),
        7,
      );
      const b = random(
        bs.reduce((x, y) => x * y, 1),
        8,
      );
      const want = matmulRef(a, as, b, bs);
      const w = random(want.data.length, 9);
      const [da, db] = await analyticVjp(
        'MatMul',
        [
          { shape: as, data: a },
          { shape: bs, data: b },
        ],
        {},
        w,
        [0, 1],
      );
      const [ra, rb] = vjpRef(a, as, b, bs, w);
      expect(maxRelError(da, ra)).toBeLessThan(1e-5);
      expect(maxRelError(db, rb)).toBeLessThan(1e-5);
    });
  }
});
