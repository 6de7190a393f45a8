import { describe, expect, it } from 'vitest';
import { backendCases } from './backend-cases.ts';
import { maxRelError, random, singleOpModel } from './gpu.ts';
import { gradCheck } from './gradcheck.ts';
import { expectSameMoves, sourceIndices } from './moved-elements.ts';
import { analyticVjp } from './vjp.ts';

interface Case {
  name: string;
  op: 'GatherElements' | 'GatherND';
  x: number[];
  indices: number[];
  /** Index values drawn from [lo, hi). */
  range: [number, number];
  attrs?: Record<string, number>;
}

const cases: Case[] = [
  {
    name: 'GatherElements axis 1, negative indices, repeats',
    op: 'GatherElements',
    x: [2, 5, 3],
    indices: [2, 7, 3],
    range: [-5, 5],
    attrs: { axis: 1 },
  },
  {
    name: 'GatherElements axis -1, smaller off-axis dims',
    op: 'GatherElements',
    x: [3, 4, 6],
    indices: [2, 3, 4],
    range: [0, 6],
    attrs: { axis: -1 },
  },
  { name: 'GatherND m = 2 of 4-D data (slices)', op: 'GatherND', x: [3, 4, 2, 5], indices: [6, 2], range: [-3, 3] },
  { name: 'GatherND m = 1, index batch [2, 3]', op: 'GatherND', x: [5, 6], indices: [2, 3, 1], range: [0, 5] },
  {
    name: 'GatherND batch_dims 1, full tuples',
    op: 'GatherND',
    x: [2, 3, 4],
    indices: [2, 5, 2],
    range: [0, 3],
    attrs: { batch_dims: 1 },
  },
];

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Index values valid for the case (per addressed axis for GatherND). */
function indices(t: Case): number[] {
  const u = random(size(t.indices), 61, 0, 1);
  if (t.op === 'GatherElements') return Array.from(u, (v) => Math.floor(t.range[0] + v * (t.range[1] - t.range[0])));
  const b = t.attrs?.batch_dims ?? 0;
  const m = t.indices[t.indices.length - 1];
  return Array.from(u, (v, i) => {
    const dim = t.x[b + (i % m)];
    return Math.floor(v * 2 * dim) - dim;
  });
}

describe('GatherElements and GatherND match onnxruntime', () => {
  for (const t of cases) {
    it(t.name, async () => {
      await expectSameMoves(
        t.op,
        { shape: t.x, data: random(size(t.x), 62) },
        [{ shape: t.indices, data: indices(t) }],
        t.attrs ?? {},
        13,
      );
    });
  }

  it('refuses an out-of-range index, naming the node', async () => {
    const { model, feeds } = await singleOpModel(
      'GatherElements',
      [
        { shape: [2, 3], data: random(6) },
        { shape: [2, 1], data: [0, 3], constant: true, dtype: 'int64' },
      ],
      { axis: 1 },
      { opset: 13 },
    );
    await expect(model.run(feeds)).rejects.toThrow(/Index 3 is out of range for an axis of 3.*GatherElements_node/s);
    model.dispose();
  });
});

describe('GatherElements and GatherND VJPs scatter-add the gradient', () => {
  for (const t of cases) {
    it(t.name, async () => {
      // onnxruntime over the element indices gives each output's source element.
      const idx = indices(t);
      const src = await sourceIndices(t.op, t.x, [{ shape: t.indices, data: idx }], t.attrs ?? {}, 13);
      const gy = random(src.length, 63);
      const inputs = [
        { shape: t.x, data: random(size(t.x), 62) },
        { shape: t.indices, data: idx, constant: true, dtype: 'int64' as const },
      ];
      const [dx] = await analyticVjp(t.op, inputs, t.attrs ?? {}, gy, [0], { opset: 13 });
      const want = new Float64Array(size(t.x));
      src.forEach((s, i) => (want[s] += gy[i]));
      if (process.env.CAMANIM_REPORT) console.log(`vjp ${t.name}: ${maxRelError(dx, want)}`);
      // Measured worst 6.0e-8 (float32 sums of the repeated picks).
      expect(maxRelError(dx, want)).toBeLessThan(1e-6);
    });
  }

  it('agrees with finite differences', async () => {
    const t = cases[0];
    const worst = await gradCheck(
      t.op,
      [
        { shape: t.x, data: random(size(t.x), 62) },
        { shape: t.indices, data: indices(t), constant: true, dtype: 'int64' },
      ],
      t.attrs ?? {},
      { opset: 13, tol: 2e-5 },
    );
    // Measured worst 1.1e-6.
    if (process.env.CAMANIM_REPORT) console.log(`fd: ${worst}`);
    expect(worst).toBeLessThan(2e-5);
  });
});

describe('ONNX backend cases, int32 ones included', () => {
  backendCases(/^test_(gather_elements|gathernd)_/);
});
