/**
 * ReduceMin, ReduceProd, ReduceL1, ReduceL2, ReduceSumSquare, ReduceLogSum, ReduceLogSumExp:
 * float64 references on the GPU and folded, noop_with_empty_axes as the spec's reference
 * computes it, VJPs against finite differences and exact tie / zero rules, backend cases.
 */
import { describe, expect, it } from 'vitest';
import { backendCases } from './backend-cases.ts';
import { maxRelError, random, singleOpModel } from './gpu.ts';
import { gradCheck } from './gradcheck.ts';
import { analyticVjp } from './vjp.ts';

const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
// numpy formulas of the spec's reference implementation (onnx/reference/ops/op_reduce_*.py).
const SPEC: Record<string, (v: number[]) => number> = {
  ReduceMin: (v) => Math.min(...v),
  ReduceProd: (v) => v.reduce((a, b) => a * b, 1),
  ReduceL1: (v) => sum(v.map(Math.abs)),
  ReduceL2: (v) => Math.sqrt(sum(v.map((x) => x * x))),
  ReduceSumSquare: (v) => sum(v.map((x) => x * x)),
  ReduceLogSum: (v) => Math.log(sum(v)),
  ReduceLogSumExp: (v) => Math.log(sum(v.map(Math.exp))),
};

const shape = [2, 3, 4];
// Positive for LogSum; near 1 so that products stay O(1); large for LogSumExp's overflow check.
const dataFor = (op: string) =>
  op === 'ReduceLogSumExp'
    ? random(24, 7, 80, 100)
    : random(24, 7, 0.6, 1.5).map((v, i) => (op === 'ReduceLogSum' || i % 3 ? v : -v));

/** Groups of flat indices of [2,3,4] per output element when reducing `axes`. */
function groups(axes: number[]): number[][] {
  const out = new Map<string, number[]>();
  for (let i = 0; i < 24; i++) {
    const c = [Math.floor(i / 12), Math.floor(i / 4) % 3, i % 4];
    const key = c.map((v, k) => (axes.includes(k) ? 0 : v)).join();
    out.set(key, [...(out.get(key) ?? []), i]);
  }
  return [...out.values()];
}

const axesInput = (axes: number[]) => ({ shape: [axes.length], data: axes, constant: true, dtype: 'int64' as const });

describe('reductions over axes [0, 2] (opset 18: axes as an input)', () => {
  for (const [op, f] of Object.entries(SPEC)) {
    it(`${op} on the GPU and folded`, async () => {
      const x = dataFor(op);
      const want = groups([0, 2]).map((g) => f(g.map((i) => x[i])));
      const gpu = await singleOpModel(op, [{ shape, data: x }, axesInput([0, 2])], { keepdims: 0 }, { opset: 18 });
      const y = await (await gpu.model.run(gpu.feeds)).read('out0');
      expect(y.shape).toEqual([3]);
      // float32 accumulation over 8 terms: measured worst 1.4e-7 (ReduceProd); LogSumExp near 100 stays finite.
      expect(maxRelError(y.data, want)).toBeLessThan(3e-7);
      gpu.model.dispose();
      const folded = await singleOpModel(
        op,
        [{ shape, data: x, constant: true }, axesInput([0, 2])],
        { keepdims: 0 },
        { opset: 18 },
      );
      const c = folded.model.planFor(new Map()).inferred.consts.get('out0')!;
      // Float64 on the host, rounded once to float32: measured worst 5.8e-8.
      expect(maxRelError(c.data, want)).toBeLessThan(1.2e-7);
      folded.model.dispose();
    });
  }
  it('opset 13: axes as an attribute, keepdims', async () => {
    const x = dataFor('ReduceL2');
    const { model, feeds } = await singleOpModel('ReduceL2', [{ shape, data: x }], { axes: [-1] }, { opset: 13 });
    const y = await (await model.run(feeds)).read('out0');
    expect(y.shape).toEqual([2, 3, 1]);
    // measured 5.9e-8.
    expect(
      maxRelError(
        y.data,
        groups([2]).map((g) => SPEC.ReduceL2(g.map((i) => x[i]))),
      ),
    ).toBeLessThan(3e-7);
    model.dispose();
  });
  it('noop_with_empty_axes reduces each element alone: |x| for L1, x² for SumSquare, x for Min', async () => {
    const x = dataFor('ReduceL1');
    for (const [op, f] of [
      ['ReduceL1', Math.abs],
      ['ReduceSumSquare', (v: number) => v * v],
      ['ReduceMin', (v: number) => v],
    ] as const) {
      const { model, feeds } = await singleOpModel(op, [{ shape, data: x }], { noop_with_empty_axes: 1 }, { opset: 18 });
      const y = await (await model.run(feeds)).read('out0');
      expect(y.shape, op).toEqual(shape);
      // measured worst 5.0e-8 (x² rounded to float32).
      expect(maxRelError(y.data, Array.from(x, f)), op).toBeLessThan(1.2e-7);
      model.dispose();
    }
  });
});

describe('VJPs', () => {
  for (const op of Object.keys(SPEC)) {
    it(`${op} against finite differences`, async () => {
      const worst = await gradCheck(
        op,
        [{ shape, data: dataFor(op) }, axesInput([1])],
        {},
        { opset: 18, eps: 1e-3, samples: 24 },
      );
      // float32 forwards with eps 1e-3: measured worst 8.1e-5 (ReduceL2); ReduceLogSumExp 1.7e-3, its
      // outputs near 100 carrying 4e-6 of float32 rounding into every difference quotient.
      expect(worst).toBeLessThan(op === 'ReduceLogSumExp' ? 4e-3 : 2e-4);
    });
  }
  it('ReduceMin splits ties evenly; ReduceProd is exact at zeros (the product of the others)', async () => {
    const w = Float32Array.from([1, 10, 100]);
    // Rows of [3, 4] reduced over axis 1.
    const x = [2, 1, 1, 3, /* one zero */ 2, 0, 3, 0.5, /* two zeros */ 0, 4, 0, 1];
    const [dMin] = await analyticVjp('ReduceMin', [{ shape: [3, 4], data: x }, axesInput([1])], { keepdims: 0 }, w, [0], {
      opset: 18,
    });
    expect(Array.from(dMin)).toEqual([0, 0.5, 0.5, 0, 0, 10, 0, 0, 50, 0, 50, 0]);
    const [dProd] = await analyticVjp('ReduceProd', [{ shape: [3, 4], data: x }, axesInput([1])], { keepdims: 0 }, w, [0], {
      opset: 18,
    });
    expect(Array.from(dProd)).toEqual([3, 6, 6, 2, 0, 30, 0, 0, 0, 0, 0, 0]);
  });
});

describe('ONNX backend cases', () => backendCases(/^test_reduce_(min|prod|l1|l2|sum_square|log_sum)/));
