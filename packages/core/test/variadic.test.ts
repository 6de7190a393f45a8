/**
 * Max, Min, Mean, Sum over 1..N broadcast inputs on the GPU and folded, their VJPs (the
 * extreme's gradient split evenly among tied inputs, torch.maximum's rule), and the ONNX
 * backend cases.
 */
import { describe, expect, it } from 'vitest';
import { backendCases } from './backend-cases.ts';
import { maxRelError, random, singleOpModel } from './gpu.ts';
import { gradCheck } from './gradcheck.ts';
import { analyticVjp } from './vjp.ts';

// numpy's maximum / minimum reduced over the inputs, and their mean and sum (the spec's reference).
const SPEC: Record<string, (xs: number[]) => number> = {
  Max: (xs) => Math.max(...xs),
  Min: (xs) => Math.min(...xs),
  Mean: (xs) => xs.reduce((a, b) => a + b, 0) / xs.length,
  Sum: (xs) => xs.reduce((a, b) => a + b, 0),
};

const shapes = [[2, 3, 4], [3, 1], [4]];
// Seeds far apart: xorshift's first draws from nearby seeds nearly tie, which finite differences
// across a Max/Min kink cannot handle (the test checks the gap below).
const data = [random(24, 11, -2, 2), random(3, 57, -2, 2), random(4, 203, -2, 2)];
/** Input k's element at output index i of [2, 3, 4]. */
const at = (k: number, i: number) => (k === 0 ? data[0][i] : k === 1 ? data[1][Math.floor(i / 4) % 3] : data[2][i % 4]);

describe('three inputs [2,3,4], [3,1], [4] broadcast together', () => {
  for (const [op, f] of Object.entries(SPEC)) {
    it(`${op} on the GPU and folded`, async () => {
      const want = Array.from({ length: 24 }, (_, i) => f([0, 1, 2].map((k) => at(k, i))));
      const gpu = await singleOpModel(
        op,
        shapes.map((shape, k) => ({ shape, data: data[k] })),
      );
      const y = await (await gpu.model.run(gpu.feeds)).read('out0');
      expect(y.shape).toEqual([2, 3, 4]);
      // Mean and Sum round each float32 addition (measured worst 9.5e-8, 1.2e-7); Max and Min are exact.
      expect(maxRelError(y.data, want)).toBeLessThan(['Max', 'Min'].includes(op) ? 1e-12 : 3e-7);
      gpu.model.dispose();
      const folded = await singleOpModel(
        op,
        shapes.map((shape, k) => ({ shape, data: data[k], constant: true })),
      );
      const { inferred } = folded.model.planFor(new Map());
      expect(inferred.nodes).toHaveLength(0);
      // Float64 on the host, rounded once to float32: measured worst 4.6e-8.
      expect(maxRelError(inferred.consts.get('out0')!.data, want)).toBeLessThan(1.2e-7);
      folded.model.dispose();
    });
    it(`${op} of one input is the identity`, async () => {
      const { model, feeds } = await singleOpModel(op, [{ shape: [4], data: data[2] }]);
      expect(Array.from((await (await model.run(feeds)).read('out0')).data)).toEqual(Array.from(data[2]));
      model.dispose();
    });
    it(`${op} VJP against finite differences`, async () => {
      const gap = Math.min(
        ...Array.from({ length: 24 }, (_, i) =>
          Math.min(Math.abs(at(0, i) - at(1, i)), Math.abs(at(0, i) - at(2, i)), Math.abs(at(1, i) - at(2, i))),
        ),
      );
      expect(gap).toBeGreaterThan(1e-2);
      const worst = await gradCheck(
        op,
        shapes.map((shape, k) => ({ shape, data: data[k] })),
        {},
        { eps: 1e-3, samples: 24 },
      );
      // Float32 forwards with eps 1e-3, relative to each input's gradient scale (the broadcast
      // inputs' sums are ~0.2): measured worst 4.7e-5 (Max, Min), 2.4e-4 (Mean), 5.2e-4 (Sum).
      expect(worst).toBeLessThan(1e-3);
    });
  }
});

describe('Max and Min VJPs split ties evenly (torch.maximum gives each of two tied inputs half)', () => {
  // Columns: a wins, b wins, a = b, all three tie, c wins.
  const a = [3, 1, 2, 5, 0];
  const b = [1, 3, 2, 5, 0];
  const c = [0, 0, 1, 5, 4];
  const w = Float32Array.from([1, 2, 4, 6, 8]);
  it('Max', async () => {
    const grads = await analyticVjp(
      'Max',
      [a, b, c].map((d) => ({ shape: [5], data: d })),
      {},
      w,
      [0, 1, 2],
    );
    expect(grads.map((g) => Array.from(g))).toEqual([
      [1, 0, 2, 2, 0],
      [0, 2, 2, 2, 0],
      [0, 0, 0, 2, 8],
    ]);
  });
  it('Min, with a broadcast input summed back by the engine', async () => {
    // Min of [2,2] and scalar 1: ties at the two 1s share with the scalar, which sums its halves.
    const grads = await analyticVjp(
      'Min',
      [
        { shape: [2, 2], data: [1, 3, 0, 1] },
        { shape: [], data: [1] },
      ],
      {},
      Float32Array.from([2, 4, 6, 8]),
      [0, 1],
    );
    expect(grads.map((g) => Array.from(g))).toEqual([[1, 0, 6, 4], [1 + 4 + 4]]);
  });
});

describe('ONNX backend cases', () => backendCases(/^test_(max|min|mean|sum)_/));
