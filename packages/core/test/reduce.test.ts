import { describe, expect, it } from 'vitest';
import type { AttrValue, Node } from '../src/graph/ir.ts';
import { reduceOps } from '../src/ops/reduce.ts';
import { maxRelError, random, singleOpModel, type OpInput } from './gpu.ts';
import { gradCheck } from './gradcheck.ts';
import { analyticVjp } from './vjp.ts';

const shape = [2, 3, 4, 5];
const size = 120;

/** Float64 reduction of `x` over `axes` (sorted): per output the list of its inputs, in order. */
function groupsOf(axes: number[]): number[][] {
  const kept = shape.map((d, k) => (axes.includes(k) ? 1 : d));
  const groups: number[][] = Array.from({ length: kept.reduce((a, b) => a * b, 1) }, () => []);
  for (let i = 0; i < size; i++) {
    const c = [Math.floor(i / 60), Math.floor(i / 20) % 3, Math.floor(i / 5) % 4, i % 5];
    const o = c.reduce((acc, v, k) => acc * kept[k] + (axes.includes(k) ? 0 : v), 0);
    groups[o].push(i);
  }
  return groups;
}

const HOST: Record<string, (v: number[]) => number> = {
  ReduceSum: (v) => v.reduce((a, b) => a + b, 0),
  ReduceMean: (v) => v.reduce((a, b) => a + b, 0) / v.length,
  ReduceMax: (v) => Math.max(...v),
};

/** dX per the gradient definitions: sum/mean broadcast, max shared evenly by its ties. */
function hostGrad(type: string, x: ArrayLike<number>, w: ArrayLike<number>, axes: number[]): number[] {
  const dx = new Array(size).fill(0);
  groupsOf(axes).forEach((g, o) => {
    const m = Math.max(...g.map((i) => x[i]));
    const ties = g.filter((i) => x[i] === m).length;
    for (const i of g)
      dx[i] = type === 'ReduceSum' ? w[o] : type === 'ReduceMean' ? w[o] / g.length : x[i] === m ? w[o] / ties : 0;
  });
  return dx;
}

interface Variant {
  name: string;
  axes?: number[];
  keepdims?: number;
  noop?: number;
  /** The reduced axes, normalized; undefined: identity. */
  reduced?: number[];
  out: number[];
}

const variants: Variant[] = [
  { name: 'axis 1, keepdims', axes: [1], reduced: [1], out: [2, 1, 4, 5] },
  { name: 'axes [0, 2], keepdims=0', axes: [0, 2], keepdims: 0, reduced: [0, 2], out: [3, 5] },
  { name: 'negative spatial axes [-2, -1] (global pool)', axes: [-1, -2], reduced: [2, 3], out: [2, 3, 1, 1] },
  { name: 'default: every axis', reduced: [0, 1, 2, 3], out: [1, 1, 1, 1] },
  { name: 'default, keepdims=0', keepdims: 0, reduced: [0, 1, 2, 3], out: [] },
  { name: 'empty axes with noop_with_empty_axes', axes: [], noop: 1, out: shape },
];

/** Inputs and attributes for opset `opset`: axes as attribute before `since`, as a constant input from it. */
function build(
  v: Variant,
  opset: number,
  since: number,
  x: Float32Array,
): { inputs: OpInput[]; attrs: Record<string, AttrValue> } {
  const attrs: Record<string, AttrValue> = {};
  if (v.keepdims !== undefined) attrs.keepdims = v.keepdims;
  if (v.noop !== undefined) attrs.noop_with_empty_axes = v.noop;
  const inputs: OpInput[] = [{ shape, data: x }];
  if (opset >= since) {
    if (v.axes) inputs.push({ shape: [v.axes.length], data: v.axes, constant: true, dtype: 'int64' });
  } else if (v.axes?.length) attrs.axes = v.axes;
  return { inputs, attrs };
}

const rows: [string, number, number[]][] = [
  ['ReduceSum', 13, [11, 13]],
  ['ReduceMean', 18, [13, 18]],
  ['ReduceMax', 18, [13, 18]],
];

for (const [type, since, opsets] of rows) {
  describe(`${type} matches float64 references`, () => {
    for (const opset of opsets) {
      for (const v of variants) {
        if (v.noop && opset < since) continue; // noop_with_empty_axes arrived with the axes input
        it(`opset ${opset}: ${v.name}`, async () => {
          // Quantized values make ties for ReduceMax's gradient.
          const x = random(size, 4, -2, 2).map((t) => Math.round(t * 4) / 4);
          const { inputs, attrs } = build(v, opset, since, x);
          const { model, feeds } = await singleOpModel(type, inputs, attrs, { opset });
          const y = await (await model.run(feeds)).read('out0');
          expect(y.shape).toEqual(v.out);
          const want = v.reduced ? groupsOf(v.reduced).map((g) => HOST[type](g.map((i) => x[i]))) : Array.from(x);
          expect(maxRelError(y.data, want)).toBeLessThan(2e-6);
          model.dispose();
          const w = random(y.data.length, 6);
          const [dx] = await analyticVjp(type, inputs, attrs, w, [0], { opset });
          expect(maxRelError(dx, v.reduced ? hostGrad(type, x, w, v.reduced) : Array.from(w))).toBeLessThan(2e-6);
        });
      }
    }
    it('VJP matches finite differences', async () => {
      await gradCheck(type, [{ shape, data: random(size, 8, -2, 2) }], { axes: [1, 3] }, { eps: 1e-3, opset: 13 });
    });
  });
}

describe('reductions fold int constants on the host', () => {
  const node = (type: string): Node => ({
    name: 'n',
    opType: type,
    domain: '',
    inputs: ['x', 'axes'],
    outputs: ['y'],
    attributes: new Map([['keepdims', 0]]),
  });
  for (const [type, want] of [
    ['ReduceSum', [5, 7, 9]],
    ['ReduceMax', [4, 5, 6]],
  ] as const) {
    it(type, () => {
      const op = reduceOps.find((o) => o.type === type)!;
      const x = { dtype: 'int64' as const, shape: [2, 3], data: Float64Array.from([1, 2, 3, 4, 5, 6]) };
      const axes = { dtype: 'int64' as const, shape: [1], data: Float64Array.from([0]) };
      const io = { node: node(type), opset: 18, inputs: [x, axes], consts: [x, axes] };
      const attrs = op.attrs(io.node, 18);
      const outs = op.shape(io, attrs);
      const [y] = op.fold!(io, attrs, outs)!;
      expect(y.dtype).toBe('int64');
      expect(y.shape).toEqual([3]);
      expect(Array.from(y.data)).toEqual(want);
    });
  }
});
