import { describe, expect, it } from 'vitest';
import { listCases, runCase } from '../../../test/conformance/cases.ts';
import { maxRelError, random, singleOpModel, testRuntime } from './gpu.ts';
import { gradCheck } from './gradcheck.ts';
import { ortNode } from './ort-node.ts';
import { analyticVjp } from './vjp.ts';

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const shape = [2, 5, 3];
const variants = [0, -1, 1].flatMap((axis) =>
  [0, 1].flatMap((exclusive) => [0, 1].map((reverse) => ({ axis, exclusive, reverse }))),
);
const label = (v: (typeof variants)[number]) => `axis ${v.axis}${v.exclusive ? ' exclusive' : ''}${v.reverse ? ' reverse' : ''}`;

describe('CumSum matches onnxruntime', () => {
  for (const v of variants) {
    it(label(v), async () => {
      const x = random(size(shape), 71);
      const attrs = { exclusive: v.exclusive, reverse: v.reverse };
      const ref = await ortNode(
        'CumSum',
        [
          { shape, data: x },
          { shape: [], data: [v.axis], type: 'int64' },
        ],
        attrs,
        14,
      );
      for (const constant of [false, true]) {
        const { model, feeds } = await singleOpModel(
          'CumSum',
          [
            { shape, data: x, constant },
            { shape: [], data: [v.axis], constant: true, dtype: 'int64' },
          ],
          attrs,
          { opset: 14 },
        );
        const run = await model.run(feeds);
        const y = await run.read('out0');
        expect(y.shape).toEqual(ref.shape);
        if (process.env.CAMANIM_REPORT) console.log(`fwd ${label(v)}: ${maxRelError(y.data, ref.data)}`);
        // Measured worst 1.1e-7 (running float32 sums of ≤ 5 terms).
        expect(maxRelError(y.data, ref.data)).toBeLessThan(1e-6);
        run.dispose();
        model.dispose();
      }
    });
  }

  it('folds int64 index arithmetic exactly', async () => {
    const { model, feeds } = await singleOpModel(
      'CumSum',
      [
        { shape: [4], data: [3, 1, 4, 1], constant: true, dtype: 'int64' },
        { shape: [], data: [0], constant: true, dtype: 'int64' },
      ],
      {},
      { opset: 14 },
    );
    const run = await model.run(feeds);
    expect(Array.from((await run.read('out0')).data)).toEqual([3, 4, 8, 9]);
    run.dispose();
    model.dispose();
  });
});

describe('CumSum VJP is the cumulative sum the other way', () => {
  for (const v of variants) {
    it(label(v), async () => {
      const gy = random(size(shape), 72);
      const attrs = { exclusive: v.exclusive, reverse: v.reverse };
      const inputs = [
        { shape, data: random(size(shape), 71) },
        { shape: [], data: [v.axis], constant: true, dtype: 'int64' as const },
      ];
      const [dx] = await analyticVjp('CumSum', inputs, attrs, gy, [0], { opset: 14 });
      // The definition: dx_j = Σ over outputs i that include x_j of gy_i.
      const a = v.axis < 0 ? v.axis + shape.length : v.axis;
      const n = shape[a];
      const inner = size(shape.slice(a + 1));
      const want = new Float64Array(gy.length);
      for (let j = 0; j < gy.length; j++) {
        const p = Math.floor(j / inner) % n;
        const rowStart = j - p * inner;
        for (let q = 0; q < n; q++) {
          const includes = v.reverse ? (v.exclusive ? q < p : q <= p) : v.exclusive ? q > p : q >= p;
          if (includes) want[j] += gy[rowStart + q * inner];
        }
      }
      if (process.env.CAMANIM_REPORT) console.log(`vjp ${label(v)}: ${maxRelError(dx, want)}`);
      expect(maxRelError(dx, want)).toBeLessThan(1e-6);
    });
  }

  it('agrees with finite differences', async () => {
    const worst = await gradCheck(
      'CumSum',
      [
        { shape, data: random(size(shape), 71) },
        { shape: [], data: [1], constant: true, dtype: 'int64' },
      ],
      { exclusive: 1 },
      { opset: 14, tol: 2e-5 },
    );
    if (process.env.CAMANIM_REPORT) console.log(`fd: ${worst}`);
    expect(worst).toBeLessThan(2e-5);
  });
});

describe('ONNX backend cases (their float64 tensors run in float32)', () => {
  const { cases: found } = listCases(/^test_cumsum_/);
  it('finds them', () => expect(found.length).toBeGreaterThan(0));
  for (const c of found) {
    it(c.name, async () => {
      const r = await runCase({ ...c, skip: undefined }, await testRuntime());
      expect(r.detail).toBe('');
    });
  }
});
