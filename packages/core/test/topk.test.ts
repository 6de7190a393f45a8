/**
 * TopK against onnxruntime: values and indices over every axis, largest and smallest, K from an
 * input (opsets 10, 11) or the attribute (opset 9), with ties, on the GPU and folded. NaN
 * against torch.topk's order (NaN above every number; onnxruntime 1.30 puts it last for both
 * largest and smallest). The VJP against its definition (the values' gradient scattered to the
 * selected elements, ties included) and finite differences; the indices refused at plan time
 * by an op that needs them before the run.
 */
import { describe, expect, it } from 'vitest';
import type { Graph } from '../src/graph/ir.ts';
import { graphModel, irNode, int64Tensor, random, singleOpModel, type OpInput } from './gpu.ts';
import { gradCheck } from './gradcheck.ts';
import { ortNodeOutputs } from './ort-node.ts';
import { analyticVjp } from './vjp.ts';

const shape = [3, 4, 5];
const size = shape.reduce((a, b) => a * b, 1);
// Five levels: ties along every axis.
const tied = Array.from(random(size, 41), (v) => Math.round(v * 2));

const inputs = (data: ArrayLike<number>, dims: number[], k: number, opset: number, constant = false): OpInput[] =>
  opset < 10
    ? [{ shape: dims, data, constant }]
    : [
        { shape: dims, data, constant },
        { shape: [1], data: [k], constant: true, dtype: 'int64' },
      ];

async function camanim(
  data: ArrayLike<number>,
  dims: number[],
  k: number,
  attrs: Record<string, number>,
  opset: number,
  constant: boolean,
) {
  const { model, feeds } = await singleOpModel(
    'TopK',
    inputs(data, dims, k, opset, constant),
    opset < 10 ? { ...attrs, k } : attrs,
    { opset, outputs: 2 },
  );
  const run = await model.run(feeds);
  const [values, indices] = [await run.read('out0'), await run.read('out1')];
  run.dispose();
  model.dispose();
  return { values: Array.from(values.data), indices: Array.from(indices.data), shape: values.shape };
}

const cases = [
  ...[-1, 0, 1].flatMap((axis) =>
    [1, 0].flatMap((largest) => [1, 3, shape.at(axis)!].map((k) => ({ opset: 11, axis, largest, k }))),
  ),
  { opset: 10, axis: 1, largest: 1, k: 2 },
  { opset: 9, axis: -1, largest: 1, k: 2 },
];

describe('TopK matches onnxruntime (ties by the lower index)', () => {
  for (const c of cases) {
    it(`opset ${c.opset} axis ${c.axis} largest ${c.largest} K ${c.k}`, async () => {
      const attrs: Record<string, number> = c.opset >= 11 ? { axis: c.axis, largest: c.largest } : { axis: c.axis };
      const ortInputs = [{ shape, data: tied }, ...(c.opset >= 10 ? [{ shape: [1], data: [c.k], type: 'int64' as const }] : [])];
      const [values, indices] = await ortNodeOutputs('TopK', ortInputs, c.opset < 10 ? { ...attrs, k: c.k } : attrs, c.opset, [
        'float',
        'int64',
      ]);
      for (const constant of [false, true]) {
        const y = await camanim(tied, shape, c.k, attrs, c.opset, constant);
        expect(y.shape).toEqual(values.shape);
        // Copies and positions: exact.
        expect(y.values).toEqual(Array.from(values.data));
        expect(y.indices).toEqual(Array.from(indices.data));
      }
    });
  }

  it('K = 0 gives empty outputs', async () => {
    for (const constant of [false, true])
      expect((await camanim(tied, shape, 0, { axis: 1 }, 11, constant)).shape).toEqual([3, 0, 5]);
  });

  it('refuses K past the axis, naming the node', async () => {
    const { model, feeds } = await singleOpModel('TopK', inputs(tied, shape, 6, 11), { axis: 1 }, { opset: 11, outputs: 2 });
    await expect(model.run(feeds)).rejects.toThrow(/K must be one integer in \[0, 4\] \(the axis' size\), got \[6\].*TopK_node/s);
    model.dispose();
  });
});

describe('TopK orders NaN above every number (torch.topk)', () => {
  const dims = [2, 6];
  const data = [1, NaN, 3, 3, NaN, -1, 2, 2, -5, 7, 7, 0];
  /** Positions sorted as torch.topk does: NaN greatest, ties by index. */
  const order = (row: number[], largest: boolean) => {
    const key = (v: number) => (Number.isNaN(v) ? Infinity : v) * (largest ? -1 : 1);
    const nanLast = (v: number) => (Number.isNaN(v) === largest ? 0 : 1);
    return row
      .map((v, b) => ({ v, b }))
      .sort((p, q) => nanLast(p.v) - nanLast(q.v) || key(p.v) - key(q.v) || p.b - q.b)
      .map((e) => e.b);
  };
  for (const largest of [1, 0]) {
    it(`largest ${largest}`, async () => {
      const want = [0, 1].flatMap((r) => order(data.slice(r * 6, r * 6 + 6), largest === 1).slice(0, 4));
      for (const constant of [false, true]) {
        const y = await camanim(data, dims, 4, { axis: 1, largest }, 11, constant);
        expect(y.indices).toEqual(want);
        expect(y.values).toEqual(want.map((b, j) => data[Math.floor(j / 4) * 6 + b]));
      }
    });
  }
});

describe('TopK VJP scatters the values gradient to the selected elements', () => {
  for (const c of cases.filter((x) => x.opset === 11)) {
    it(`axis ${c.axis} largest ${c.largest} K ${c.k}`, async () => {
      const attrs = { axis: c.axis, largest: c.largest };
      const a = c.axis < 0 ? c.axis + shape.length : c.axis;
      const inner = shape.slice(a + 1).reduce((p, d) => p * d, 1);
      const w = random((size / shape[a]) * c.k, 43);
      const [dx] = await analyticVjp('TopK', inputs(tied, shape, c.k, 11), attrs, w, [0], { opset: 11, outputs: 2 });
      // The definition: dx[o, indices[o, r, q], q] = w[o, r, q], every other element 0.
      const [, indices] = await ortNodeOutputs(
        'TopK',
        [
          { shape, data: tied },
          { shape: [1], data: [c.k], type: 'int64' },
        ],
        attrs,
        11,
        ['float', 'int64'],
      );
      const want = new Float64Array(size);
      indices.data.forEach((b, j) => {
        const o = Math.floor(j / (c.k * inner));
        want[(o * shape[a] + b) * inner + (j % inner)] = w[j];
      });
      // Copies of w: exact.
      expect(Array.from(dx)).toEqual(Array.from(want));
    });
  }

  it('agrees with finite differences', async () => {
    // Distinct values a step of eps cannot reorder: the gradient is smooth there.
    const distinct = Array.from({ length: size }, (_, j) => ((j * 37) % size) / 10);
    const worst = await gradCheck('TopK', inputs(distinct, shape, 3, 11), { axis: 1 }, { opset: 11, outputs: 2, tol: 1e-5 });
    if (process.env.CAMANIM_REPORT) console.log(`fd: ${worst}`);
    // Measured worst 2.6e-6 (float32 rounding of the differenced forward sums).
    expect(worst).toBeLessThan(1e-5);
  });
});

describe("TopK's indices computed on the GPU", () => {
  it('are refused at plan time by Gather, which needs them before the run, naming the node and op', async () => {
    const graph: Graph = {
      nodes: [irNode('TopK', ['x', 'k'], ['v', 'i'], { axis: 1 }), irNode('Gather', ['x', 'i'], ['y'], { axis: 1 })],
      inputs: [{ name: 'x', dtype: 'float32', dims: [2, 5] }],
      outputs: [{ name: 'y', dtype: 'float32', dims: [] }],
      initializers: new Map([['k', int64Tensor([2])]]),
      opset: 11,
      source: 'topk.test',
    };
    const model = await graphModel(graph);
    await expect(model.run({ data: random(10, 5), shape: [2, 5] })).rejects.toThrow(
      /Input 1 \('i'\) must be known before the run.*node 'Gather:y', op 'Gather'.*'i' holds indices computed from the image \(ArgMax, ArgMin, TopK\); Gather needs them before the run/s,
    );
    model.dispose();
  });
});
