/**
 * The ops of compare.ts, logic.ts, where.ts, rounding.ts, variadic.ts, tile.ts and the newer
 * reduce.ts rows against onnxruntime-node, under broadcasting, on the GPU (run-time inputs)
 * and folded on the host (the same inputs as constants).
 */
import { describe, expect, it } from 'vitest';
import { random, singleOpModel, type OpInput } from './gpu.ts';
import { ortNode, type OrtNodeInput, type OrtType } from './ort-node.ts';

type OrtInput = OrtNodeInput & { readonly type: OrtType };

interface Case {
  readonly op: string;
  readonly inputs: readonly OrtInput[];
  readonly attrs?: Record<string, number | number[]>;
  readonly out: OrtType;
  readonly opset?: number;
  /** Largest |camanim − ORT| / max(1, |ORT|) allowed; exact ops 0. */
  readonly tol: number;
}

const f = (shape: number[], data: ArrayLike<number>): OrtInput => ({ type: 'float', shape, data });
const bool = (shape: number[], data: number[]): OrtInput => ({ type: 'bool', shape, data });
const i64 = (data: number[]): OrtInput => ({ type: 'int64', shape: [data.length], data });

// Small integers (many ties) for comparisons; halves for rounding; large quotients for Mod.
const ties = Float32Array.from({ length: 24 }, (_, i) => ((i * 7) % 5) - 2);
const halves = Float32Array.from([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, ...random(18, 3, -5, 5)]);
const big = random(24, 5, -1000, 1000);
const divisors = Float32Array.from(random(4, 6, 0.01, 3), (v, k) => (k % 2 ? -v : v));
const x = random(24, 11, -2, 2);

const cases: Case[] = [
  ...['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual'].map(
    (op): Case => ({ op, inputs: [f([2, 3, 4], ties), f([3, 1], [-1, 0, 2])], out: 'bool', tol: 0 }),
  ),
  { op: 'Not', inputs: [bool([2, 3], [0, 1, 1, 0, 0, 1])], out: 'bool', tol: 0 },
  ...['And', 'Or', 'Xor'].map(
    (op): Case => ({ op, inputs: [bool([2, 1, 4], [0, 1, 1, 0, 1, 1, 0, 0]), bool([3, 1], [1, 0, 1])], out: 'bool', tol: 0 }),
  ),
  { op: 'Where', inputs: [bool([2, 3], [1, 0, 0, 1, 1, 0]), f([4, 1, 2, 3], x), f([3], [5, 6, 7])], out: 'float', tol: 0 },
  ...['Floor', 'Ceil', 'Round', 'Sign'].map((op): Case => ({ op, inputs: [f([4, 6], halves)], out: 'float', tol: 0 })),
  { op: 'Mod', inputs: [f([6, 4], big), f([4], divisors)], attrs: { fmod: 1 }, out: 'float', tol: 0 },
  ...['Max', 'Min', 'Mean', 'Sum'].map(
    (op): Case => ({
      op,
      inputs: [f([2, 3, 4], x), f([3, 1], random(3, 57, -2, 2)), f([4], random(4, 203, -2, 2))],
      out: 'float',
      tol: op === 'Mean' || op === 'Sum' ? 3e-7 : 0,
    }),
  ),
  { op: 'Tile', inputs: [f([2, 3], x.subarray(0, 6)), i64([3, 2])], out: 'float', tol: 0 },
  ...['ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceSumSquare', 'ReduceLogSumExp'].map(
    (op): Case => ({ op, inputs: [f([2, 3, 4], x), i64([0, -1])], attrs: { keepdims: 0 }, out: 'float', opset: 18, tol: 3e-7 }),
  ),
  { op: 'ReduceLogSum', inputs: [f([2, 3, 4], random(24, 7, 0.5, 2)), i64([1])], out: 'float', opset: 18, tol: 3e-7 },
];

/** camanim's inputs: floats and bools fed at run time (0/1 in float32), or all as constants; int64 always constant. */
const ours = (inputs: readonly OrtInput[], constant: boolean): OpInput[] =>
  inputs.map((t) => ({
    shape: [...t.shape],
    data: t.data,
    constant: constant || t.type === 'int64',
    dtype: t.type === 'float' ? 'float32' : t.type,
  }));

const relErr = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Math.max(0, ...Array.from(a, (v, i) => Math.abs(v - b[i]) / Math.max(1, Math.abs(b[i]))));

describe('against onnxruntime-node', () => {
  for (const c of cases) {
    it(`${c.op} [${c.inputs.map((t) => t.shape.join('x')).join('], [')}]`, async () => {
      const opset = c.opset ?? 13;
      const want = await ortNode(c.op, c.inputs, c.attrs ?? {}, opset, c.out);
      const gpu = await singleOpModel(c.op, ours(c.inputs, false), c.attrs ?? {}, { opset });
      const y = await (await gpu.model.run(gpu.feeds)).read('out0');
      gpu.model.dispose();
      expect(y.shape).toEqual(want.shape);
      // Measured: the GPU matches ORT bit for bit (float32 in the same order) except ReduceLogSum, 8.2e-8.
      expect(relErr(y.data, want.data)).toBeLessThanOrEqual(c.tol);
      const folded = await singleOpModel(c.op, ours(c.inputs, true), c.attrs ?? {}, { opset });
      const k = folded.model.planFor(new Map()).inferred.consts.get('out0')!;
      folded.model.dispose();
      expect(k.shape).toEqual(want.shape);
      // Folds compute in float64 and round once: measured worst 1.2e-7 (Sum), 0 for the exact ops.
      expect(relErr(k.data, want.data)).toBeLessThanOrEqual(c.tol);
    });
  }
});
