import { describe, expect, it } from 'vitest';
import { backendCases } from './backend-cases.ts';
import { maxRelError, random, singleOpModel, type OpInput } from './gpu.ts';
import { gradCheck } from './gradcheck.ts';
import { ortNode } from './ort-node.ts';
import { analyticVjp } from './vjp.ts';

type Reduction = 'none' | 'add' | 'mul' | 'max' | 'min';

interface Case {
  name: string;
  op: 'ScatterND' | 'ScatterElements';
  x: number[];
  indices: { shape: number[]; data: number[] };
  updates: number[];
  axis?: number;
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

const cases: Case[] = [
  // Two tuples address the same slice: duplicates for the reductions ('none' is checked without them below).
  {
    name: 'ScatterND m = 1, slices of [4, 3, 2], a repeated slice',
    op: 'ScatterND',
    x: [4, 3, 2],
    indices: { shape: [3, 1], data: [2, -1, 2] },
    updates: [3, 3, 2],
  },
  {
    name: 'ScatterND m = 2, elements of [3, 4], a repeated one',
    op: 'ScatterND',
    x: [3, 4],
    indices: { shape: [2, 2, 2], data: [0, 1, 2, 3, 0, 1, 1, -4] },
    updates: [2, 2],
  },
  {
    name: 'ScatterElements axis 1, negative and repeated indices',
    op: 'ScatterElements',
    x: [2, 5, 3],
    indices: { shape: [2, 3, 2], data: [0, 4, -1, 2, 0, 4, 1, 1, 3, -5, 2, 2] },
    updates: [2, 3, 2],
    axis: 1,
  },
  {
    name: 'ScatterElements axis -1',
    op: 'ScatterElements',
    x: [3, 4],
    indices: { shape: [3, 2], data: [3, 0, 1, 1, 2, -1] },
    updates: [3, 2],
    axis: -1,
  },
];

/** Case inputs: data, int64 indices (a plan-time constant), updates; `constant` makes data and updates initializers. */
function inputs(t: Case, constant = false): OpInput[] {
  return [
    { shape: t.x, data: random(size(t.x), 71, -2, 2), constant },
    { shape: t.indices.shape, data: t.indices.data, constant: true, dtype: 'int64' },
    // Rounded updates make the max/min ties with each other that the tie rule shares the gradient among.
    { shape: t.updates, data: Array.from(random(size(t.updates), 72, -2, 2), (v) => Math.round(v * 2) / 2), constant },
  ];
}

const attrsOf = (t: Case, reduction: Reduction) => ({ reduction, ...(t.axis === undefined ? {} : { axis: t.axis }) });

describe('ScatterND and ScatterElements match onnxruntime (opset 18), on the GPU and folded', () => {
  for (const t of cases) {
    for (const reduction of ['add', 'mul', 'max', 'min'] as const) {
      it(`${t.name}, reduction ${reduction}`, async () => {
        const ins = inputs(t);
        const ref = await ortNode(
          t.op,
          ins.map((x, k) => ({ ...x, type: k === 1 ? ('int64' as const) : undefined })),
          attrsOf(t, reduction),
          18,
        );
        for (const constant of [false, true]) {
          const { model, feeds } = await singleOpModel(t.op, inputs(t, constant), attrsOf(t, reduction), { opset: 18 });
          const run = await model.run(feeds);
          const y = await run.read('out0');
          expect(y.shape).toEqual(ref.shape);
          if (process.env.CAMANIM_REPORT)
            console.log(`forward ${t.name} ${reduction} ${constant}: ${maxRelError(y.data, ref.data)}`);
          // Measured worst 0, on the GPU and folded (float64 host folds of float32 values, stored in float32).
          expect(maxRelError(y.data, ref.data)).toBeLessThan(1e-6);
          run.dispose();
          model.dispose();
        }
      });
    }
  }

  it('refuses a reduction the opset does not define, naming the node', async () => {
    const t = cases[0];
    const { model, feeds } = await singleOpModel(t.op, inputs(t), { reduction: 'max' }, { opset: 16 });
    await expect(model.run(feeds)).rejects.toThrow(
      /reduction 'max' is not one of ScatterND's at opset 16 \(none, add, mul\).*ScatterND_node/s,
    );
    model.dispose();
  });

  it('refuses updates of the wrong shape, naming the node', async () => {
    const t = { ...cases[3], updates: [3, 3] };
    const { model, feeds } = await singleOpModel(t.op, inputs(t), { axis: 1 }, { opset: 18 });
    await expect(model.run(feeds)).rejects.toThrow(/updates \[3, 3\] must be \[3, 2\].*ScatterElements_node/s);
    model.dispose();
  });
});

/**
 * dData and dUpdates for a seed w, as torch.autograd defines them for scatter / scatter_reduce
 * (include_self=True): 'none' passes w where no update landed and gathers w to the winning (last)
 * update; 'add' gathers w; 'mul' multiplies by the other factors; 'max'/'min' share w evenly among
 * every factor equal to the result (torch's scatter_reduce_backward).
 */
function reference(
  x: Float32Array,
  u: Float32Array,
  tgt: readonly number[],
  w: Float32Array,
  r: Reduction,
): [Float64Array, Float64Array] {
  const lists = Array.from(x, () => [] as number[]);
  tgt.forEach((j, i) => lists[j].push(i));
  const dx = new Float64Array(x.length);
  const du = new Float64Array(u.length);
  lists.forEach((l, j) => {
    const y = l.reduce(
      (acc, i) => ({ none: u[i], add: acc + u[i], mul: acc * u[i], max: Math.max(acc, u[i]), min: Math.min(acc, u[i]) })[r],
      x[j],
    );
    const prod = (skip: number) => l.reduce((p, i) => (i === skip ? p : p * u[i]), 1);
    if (r === 'none') {
      dx[j] = l.length ? 0 : w[j];
      if (l.length) du[l[l.length - 1]] = w[j];
    } else if (r === 'add') {
      dx[j] = w[j];
      l.forEach((i) => (du[i] = w[j]));
    } else if (r === 'mul') {
      dx[j] = w[j] * prod(-1);
      l.forEach((i) => (du[i] = w[j] * x[j] * prod(i)));
    } else {
      const ties = (x[j] === y ? 1 : 0) + l.filter((i) => u[i] === y).length;
      dx[j] = x[j] === y ? w[j] / ties : 0;
      l.forEach((i) => (du[i] = u[i] === y ? w[j] / ties : 0));
    }
  });
  return [dx, du];
}

describe('ScatterND and ScatterElements VJPs', () => {
  for (const t of cases) {
    for (const reduction of ['none', 'add', 'mul', 'max', 'min'] as const) {
      it(`${t.name}, reduction ${reduction}: dData and dUpdates match their definition`, async () => {
        const ins = inputs(t);
        // Ties between data and updates too: data rounded as the updates are.
        ins[0] = { ...ins[0], data: Array.from(ins[0].data, (v) => Math.round(v * 2) / 2) };
        // onnxruntime over one-hot updates gives each update's target element.
        const tgt = await targetsOf(t);
        const w = random(size(t.x), 73);
        const [dx, du] = await analyticVjp(t.op, ins, attrsOf(t, reduction), w, [0, 2], { opset: 18 });
        const [wx, wu] = reference(Float32Array.from(ins[0].data), Float32Array.from(ins[2].data), tgt, w, reduction);
        const err = Math.max(maxRelError(dx, wx), maxRelError(du, wu));
        if (process.env.CAMANIM_REPORT) console.log(`vjp ${t.name} ${reduction}: ${err}`);
        // Measured worst 4.1e-8 (float32 products of the other factors); 0 for the other reductions.
        expect(err).toBeLessThan(1e-6);
      });
    }
  }

  for (const reduction of ['none', 'add', 'mul'] as const) {
    it(`agrees with finite differences (${reduction}, ScatterElements without repeated targets)`, async () => {
      const t = cases[3];
      const ins = inputs(t);
      ins[2] = { ...ins[2], data: random(size(t.updates), 74, -2, 2) };
      const worst = await gradCheck(t.op, ins, attrsOf(t, reduction), { opset: 18, eps: 1e-2 });
      if (process.env.CAMANIM_REPORT) console.log(`fd ${reduction}: ${worst}`);
      // Measured worst 3.5e-6 ('mul'; 9.5e-7 for 'none' and 'add': float32 forwards, eps 1e-2).
      expect(worst).toBeLessThan(2e-5);
    });
  }
});

/** Each update element's target in data, from onnxruntime's ScatterElements/ScatterND over one-hot updates. */
async function targetsOf(t: Case): Promise<number[]> {
  const n = size(t.updates);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const oneHot = Float32Array.from({ length: n }, (_, k) => (k === i ? 1 : 0));
    const y = await ortNode(
      t.op,
      [
        { shape: t.x, data: new Float32Array(size(t.x)) },
        { ...t.indices, type: 'int64' },
        { shape: t.updates, data: oneHot },
      ],
      attrsOf(t, 'add'),
      18,
    );
    out.push(y.data.indexOf(1));
  }
  return out;
}

describe('ONNX backend cases', () => {
  backendCases(/^test_scatter(nd|_elements|_with|_without)/);
});
