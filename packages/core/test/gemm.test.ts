import { describe, expect, it } from 'vitest';
import { maxRelError, random, singleOpModel, type OpInput } from './gpu.ts';
import { analyticVjp } from './vjp.ts';

interface Case {
  name: string;
  m: number;
  k: number;
  n: number;
  transA?: number;
  transB?: number;
  alpha?: number;
  beta?: number;
  c?: number[];
}

/** Y = alpha·A'·B' + beta·C in float64, C broadcast to [M, N]. */
function gemmRef(t: Case, a: ArrayLike<number>, b: ArrayLike<number>, c?: ArrayLike<number>): Float64Array {
  const { m, k, n } = t;
  const y = new Float64Array(m * n);
  const cs = t.c ?? [];
  const [cm, cn] = cs.length === 2 ? cs : [1, cs[0] ?? 1];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let q = 0; q < k; q++) s += a[t.transA ? q * m + i : i * k + q] * b[t.transB ? j * k + q : q * n + j];
      y[i * n + j] = (t.alpha ?? 1) * s + (c ? (t.beta ?? 1) * c[(cm === 1 ? 0 : i * cn) + (cn === 1 ? 0 : j)] : 0);
    }
  }
  return y;
}

function inputs(t: Case, constB = false): { list: OpInput[]; a: Float32Array; b: Float32Array; c?: Float32Array } {
  const a = random(t.m * t.k, 2);
  const b = random(t.k * t.n, 3);
  const c = t.c
    ? random(
        t.c.reduce((x, y) => x * y, 1),
        4,
      )
    : undefined;
  const list: OpInput[] = [
    { shape: t.transA ? [t.k, t.m] : [t.m, t.k], data: a },
    { shape: t.transB ? [t.n, t.k] : [t.k, t.n], data: b, constant: constB },
  ];
  if (c) list.push({ shape: t.c!, data: c });
  return { list, a, b, c };
}

const attrsOf = (t: Case) => ({ transA: t.transA ?? 0, transB: t.transB ?? 0, alpha: t.alpha ?? 1, beta: t.beta ?? 1 });

const cases: Case[] = [
  { name: 'plain', m: 5, k: 8, n: 12 },
  { name: 'transA', m: 6, k: 7, n: 9, transA: 1 },
  { name: 'transB, bias row [N] (an FC layer)', m: 2, k: 64, n: 10, transB: 1, c: [10] },
  { name: 'both transposed, alpha, beta, C [M, N]', m: 9, k: 5, n: 8, transA: 1, transB: 1, alpha: 0.5, beta: -2, c: [9, 8] },
  { name: 'C [M, 1]', m: 4, k: 3, n: 7, c: [4, 1] },
  { name: 'C scalar [1], beta 0.25', m: 3, k: 4, n: 4, beta: 0.25, c: [1] },
  { name: 'C [1, N]', m: 17, k: 20, n: 33, c: [1, 33] },
];

describe('Gemm matches its definition', () => {
  for (const t of cases) {
    it(t.name, async () => {
      const { list, a, b, c } = inputs(t, true);
      const { model, feeds } = await singleOpModel('Gemm', list, attrsOf(t));
      const run = await model.run(feeds);
      const y = await run.read('out0');
      expect(y.shape).toEqual([t.m, t.n]);
      expect(maxRelError(y.data, gemmRef(t, a, b, c))).toBeLessThan(1e-5);
      run.dispose();
      model.dispose();
    });
  }
});

describe('Gemm VJP', () => {
  for (const t of cases) {
    it(t.name, async () => {
      const { list, a, b, c } = inputs(t);
      const w = random(t.m * t.n, 6);
      const wrt = t.c ? [0, 1, 2] : [0, 1];
      const got = await analyticVjp('Gemm', list, attrsOf(t), w, wrt);
      // The gradient's definition: dL/dx_i = Σ_o w_o ∂y_o/∂x_i, with y linear in each input.
      const x = [a, b, c];
      wrt.forEach((i, g) => {
        const want = new Float64Array(x[i]!.length);
        for (let e = 0; e < want.length; e++) {
          // y is linear in A and in B (without C) and affine in C (zero A drops the product term).
          const unit = x.map((v, j) =>
            j === i ? Float64Array.from(v!, (_, q) => (q === e ? 1 : 0)) : j === 0 && i === 2 ? new Float64Array(v!.length) : v,
          );
          const y1 = gemmRef(t, unit[0]!, unit[1]!, i === 2 ? unit[2] : undefined);
          for (let o = 0; o < y1.length; o++) want[e] += w[o] * y1[o];
        }
        expect(maxRelError(got[g], want), `d/d input ${i}`).toBeLessThan(1e-5);
      });
    });
  }
});
