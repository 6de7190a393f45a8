/**
 * Equal, Less, Greater, LessOrEqual, GreaterOrEqual: bool (0/1) outputs under broadcasting on
 * the GPU and folded on the host, zero VJPs, and the ONNX backend cases (bool outputs the
 * conformance harness skips).
 */
import { describe, expect, it } from 'vitest';
import { broadcastHost } from '../src/ops/broadcast.ts';
import { analyticVjp } from './vjp.ts';
import { backendCases } from './backend-cases.ts';
import { hostTensor, type Graph } from '../src/graph/ir.ts';
import { graphModel, irNode, random, singleOpModel } from './gpu.ts';

// The spec's reference semantics (numpy's comparison ufuncs), written independently of the rows.
const SPEC: Record<string, (a: number, b: number) => boolean> = {
  Equal: (a, b) => a === b,
  Less: (a, b) => a < b,
  Greater: (a, b) => a > b,
  LessOrEqual: (a, b) => a <= b,
  GreaterOrEqual: (a, b) => a >= b,
};

// Small integers, so that many pairs tie and Equal / *OrEqual see both outcomes.
const a = Float32Array.from({ length: 24 }, (_, i) => ((i * 7) % 5) - 2);
const b = Float32Array.from([-1, 0, 2]);

describe('comparisons broadcast [2,3,4] against [3,1] on the GPU', () => {
  for (const [op, f] of Object.entries(SPEC)) {
    it(op, async () => {
      const { model, feeds } = await singleOpModel(op, [
        { shape: [2, 3, 4], data: a },
        { shape: [3, 1], data: b },
      ]);
      const { inferred } = model.planFor(
        new Map([
          ['in0', [2, 3, 4]],
          ['in1', [3, 1]],
        ]),
      );
      expect(inferred.values.get('out0')!.dtype).toBe('bool');
      const run = await model.run(feeds);
      const y = await run.read('out0');
      const want = Array.from({ length: 24 }, (_, i) => (f(a[i], b[Math.floor(i / 4) % 3]) ? 1 : 0));
      expect(y.shape).toEqual([2, 3, 4]);
      expect(Array.from(y.data)).toEqual(want);
      expect(new Set(want).size).toBe(2);
      model.dispose();
    });
  }
});

describe('comparisons of constants fold on the host', () => {
  it('int64 [2,1] Less float32 [3] → bool [2,3], no GPU node', async () => {
    const { model } = await singleOpModel('Less', [
      { shape: [2, 1], data: [1, 5], constant: true, dtype: 'int64' },
      { shape: [3], data: [0, 1, 7], constant: true },
    ]);
    const { inferred } = model.planFor(new Map());
    expect(inferred.nodes).toHaveLength(0);
    const out = inferred.consts.get('out0')!;
    expect(out.dtype).toBe('bool');
    expect(out.data).toBeInstanceOf(Float64Array);
    expect(out.shape).toEqual([2, 3]);
    expect(Array.from(out.data)).toEqual([0, 0, 1, 0, 0, 1]);
    model.dispose();
  });
  it('Equal compares float32 constants at float32 precision', async () => {
    const { model } = await singleOpModel('Equal', [
      { shape: [2], data: [0.1, 0.3], constant: true },
      { shape: [2], data: [Math.fround(0.1), 0.1 + 0.2], constant: true },
    ]);
    // 0.1 + 0.2 != 0.3 in float64, but both round to the same float32.
    expect(Array.from(model.planFor(new Map()).inferred.consts.get('out0')!.data)).toEqual([1, 1]);
    model.dispose();
  });
});

describe('comparison VJPs are zero (a step function is flat almost everywhere)', () => {
  it('GreaterOrEqual: zeros for both inputs, each at its own shape', async () => {
    const w = Float32Array.from({ length: 24 }, (_, i) => i + 1);
    const [da, db] = await analyticVjp(
      'GreaterOrEqual',
      [
        { shape: [2, 3, 4], data: a },
        { shape: [3, 1], data: b },
      ],
      {},
      w,
      [0, 1],
    );
    expect(Array.from(da)).toEqual(new Array(24).fill(0));
    expect(Array.from(db)).toEqual([0, 0, 0]);
  });
});

describe('a run-time mask cast to float passes gradient through the product only', () => {
  it('y = Cast(Less(x, 0)) * x: dy/dx = mask · w (the comparison adds zero)', async () => {
    const graph: Graph = {
      nodes: [
        irNode('Less', ['x', 'zero'], ['neg']),
        irNode('Cast', ['neg'], ['mask'], { to: 1 }),
        irNode('Mul', ['mask', 'x'], ['y']),
      ],
      inputs: [{ name: 'x', dtype: 'float32', dims: [1, 8] }],
      outputs: [{ name: 'y', dtype: 'float32', dims: [] }],
      initializers: new Map([['zero', hostTensor('float32', [], [0])]]),
      opset: 13,
      source: 'compare.test',
    };
    const model = await graphModel(graph);
    const x = random(8, 21);
    const run = await model.run({ x: { data: x, shape: [1, 8] } });
    expect(Array.from((await run.read('y')).data)).toEqual(Array.from(x, (v) => (v < 0 ? v : 0)));
    const w = random(8, 22);
    const grads = await run.backward({ describe: 'w·y', score: () => ({ value: 0, grad: w }) }, { output: 'y', layers: ['x'] });
    expect(Array.from((await grads.read('x')).data)).toEqual(Array.from(x, (v, i) => (v < 0 ? w[i] : 0)));
    model.dispose();
  });
});

describe('ONNX backend cases', () => backendCases(/^test_(equal|less|greater)/));

// broadcastHost is the fold's broadcaster; check it once against hand-written indices.
it('broadcastHost maps [3,1] onto [2,3,4] row-wise', () => {
  const got = broadcastHost([2, 3, 4], [{ dtype: 'float32', shape: [3, 1], data: b }], (v) => v, true);
  expect(Array.from(got)).toEqual(Array.from({ length: 24 }, (_, i) => b[Math.floor(i / 4) % 3]));
});
