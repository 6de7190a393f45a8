/**
 * Checks for data-movement ops, which are affine in their data input (input 0): the GPU forward
 * against a float64 host reference written in the test; the VJP against the gradient's
 * definition Jᵀw, whose columns F(e_j) come from that same host reference; and the host fold
 * (the data as a constant) against the reference too.
 */
import { expect } from 'vitest';
import type { AttrValue } from '../src/graph/ir.ts';
import { maxRelError, random, singleOpModel, type OpInput } from './gpu.ts';

export interface HostOut {
  data: ArrayLike<number>;
  shape: number[];
}

export interface LinearCase {
  name: string;
  opType: string;
  /** Input 0 is the float data; the others are constants (shapes, indices, pads...). */
  inputs: OpInput[];
  attrs?: Record<string, AttrValue>;
  opset?: number;
  /** Float64 host reference: every output of the op on input 0's data. */
  reference: (x: Float64Array) => HostOut[];
  /** Skip the VJP check (ops without one). */
  noVjp?: boolean;
}

/** Row-major strides. */
export function strides(shape: readonly number[]): number[] {
  const s: number[] = [];
  for (let d = shape.length - 1, acc = 1; d >= 0; acc *= shape[d], d--) s[d] = acc;
  return s;
}

/**
 * out[c0, c1, ...] = x[lists[0][c0], lists[1][c1], ...], or `fill` where some list entry is -1:
 * the numpy "take along every axis" that slices, pads, gathers and nearest resizes reduce to.
 */
export function take(x: ArrayLike<number>, shape: readonly number[], lists: readonly (readonly number[])[], fill = 0): HostOut {
  const outShape = lists.map((l) => l.length);
  const n = outShape.reduce((a, b) => a * b, 1);
  const st = strides(shape);
  const out = new Float64Array(n);
  const c = outShape.map(() => 0);
  for (let i = 0; i < n; i++) {
    const src = lists.map((l, k) => l[c[k]]);
    out[i] = src.some((s) => s < 0) ? fill : x[src.reduce((acc, s, k) => acc + s * st[k], 0)];
    for (let k = outShape.length - 1; k >= 0 && ++c[k] >= outShape[k]; k--) c[k] = 0;
  }
  return { data: out, shape: outShape };
}

export const iota = (n: number) => Array.from({ length: n }, (_, k) => k);

/** dL/dx = Jᵀw for an affine F (linear in x plus constants such as a pad value): column j of J is F(e_j) − F(0). */
function linearVjp(f: (x: Float64Array) => ArrayLike<number>, n: number, w: ArrayLike<number>): Float64Array {
  const dx = new Float64Array(n);
  const e = new Float64Array(n);
  const f0 = Float64Array.from(f(e));
  for (let j = 0; j < n; j++) {
    e[j] = 1;
    const col = f(e);
    for (let o = 0; o < col.length; o++) dx[j] += (col[o] - f0[o]) * w[o];
    e[j] = 0;
  }
  return dx;
}

export async function checkLinearOp(c: LinearCase): Promise<void> {
  const x = c.inputs[0];
  const data = Float64Array.from(x.data);
  const want = c.reference(data);
  const opts = { opset: c.opset, outputs: want.length };
  const { model, feeds } = await singleOpModel(c.opType, c.inputs, c.attrs, opts);
  const run = await model.run(feeds);
  for (let k = 0; k < want.length; k++) {
    const got = await run.read(`out${k}`);
    expect(got.shape, `${c.name}: out${k} shape`).toEqual(want[k].shape);
    expect(maxRelError(got.data, want[k].data), `${c.name}: out${k} values`).toBeLessThan(1e-5);
  }
  if (!c.noVjp) {
    // One backward per output: the seed w on out k, zero on the others (engine zero-fills them).
    for (let k = 0; k < want.length; k++) {
      const w = random(want[k].data.length, 11 + k);
      const rows = want[k].shape[0] ?? 1;
      const per = w.length / rows;
      const targets = Array.from({ length: rows }, (_, b) => ({
        describe: 'w·y',
        score: () => ({ value: 0, grad: w.slice(b * per, (b + 1) * per) }),
      }));
      const grads = await run.backward(targets, { output: `out${k}`, layers: ['in0'] });
      const got = await grads.read('in0');
      const ref = linearVjp((e) => c.reference(e)[k].data, data.length, w);
      expect(got.shape, `${c.name}: dx shape`).toEqual(x.shape);
      expect(maxRelError(got.data, ref), `${c.name}: dL/dx through out${k}`).toBeLessThan(1e-5);
      grads.dispose();
    }
  }
  run.dispose();
  model.dispose();
  // The same node with constant data folds on the host: no GPU node is left.
  const folded = await singleOpModel(c.opType, [{ ...x, constant: true }, ...c.inputs.slice(1)], c.attrs, opts);
  const { inferred } = folded.model.planFor(new Map());
  expect(inferred.nodes.length, `${c.name}: folds`).toBe(0);
  for (let k = 0; k < want.length; k++) {
    const t = inferred.consts.get(`out${k}`)!;
    expect([...t.shape], `${c.name}: folded out${k} shape`).toEqual(want[k].shape);
    expect(maxRelError(t.data, want[k].data), `${c.name}: folded out${k}`).toBeLessThan(1e-6);
  }
  folded.model.dispose();
}
