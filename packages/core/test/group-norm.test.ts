import { createRequire } from 'node:module';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../src/load-model.ts';
import { maxRelError, random, singleOpModel, testRuntime, type OpInput } from './gpu.ts';
import { gradCheck } from './gradcheck.ts';
import { ortNode } from './ort-node.ts';

const { onnx } = onnxProto;
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const report = (what: string, e: number) => process.env.CAMANIM_REPORT && console.log(`${what}: ${e}`);

interface Case {
  name: string;
  op: 'InstanceNormalization' | 'GroupNormalization';
  x: number[];
  groups?: number;
  /** Parameter length (C, or num_groups for GroupNormalization-18). */
  params: number;
  epsilon?: number;
  opset: number;
}

const cases: Case[] = [
  { name: 'InstanceNormalization 4-D', op: 'InstanceNormalization', x: [2, 3, 5, 4], params: 3, opset: 17 },
  {
    name: 'InstanceNormalization 3-D, epsilon 1e-2',
    op: 'InstanceNormalization',
    x: [1, 4, 7],
    params: 4,
    epsilon: 1e-2,
    opset: 17,
  },
  {
    name: 'GroupNormalization-18, per-group parameters',
    op: 'GroupNormalization',
    x: [2, 6, 3, 3],
    groups: 3,
    params: 3,
    opset: 18,
  },
  {
    name: 'GroupNormalization-21, per-channel parameters',
    op: 'GroupNormalization',
    x: [1, 8, 4, 3],
    groups: 2,
    params: 8,
    opset: 21,
  },
  {
    name: 'GroupNormalization-21, one group',
    op: 'GroupNormalization',
    x: [1, 4, 3, 5],
    groups: 1,
    params: 4,
    epsilon: 1e-3,
    opset: 21,
  },
];

function data(t: Case, constant = false) {
  const x = random(size(t.x), 31, -2, 3);
  const scale = random(t.params, 32, 0.5, 1.5);
  const bias = random(t.params, 33);
  const inputs: OpInput[] = [
    { shape: t.x, data: x, constant },
    { shape: [t.params], data: scale, constant: true },
    { shape: [t.params], data: bias, constant: true },
  ];
  const attrs: Record<string, number> = {};
  if (t.groups !== undefined) attrs.num_groups = t.groups;
  if (t.epsilon !== undefined) attrs.epsilon = t.epsilon;
  return { x, scale, bias, inputs, attrs };
}

/** GroupNormalization-18 in ORT is a function whose parameters are [num_groups]; per-channel needs opset 21. */
async function ortRef(t: Case, x: Float32Array, scale: Float32Array, bias: Float32Array, attrs: Record<string, number>) {
  const fl = (v: number) => (Number.isInteger(v) ? v : { float: v });
  return ortNode(
    t.op,
    [
      { shape: t.x, data: x },
      { shape: [t.params], data: scale },
      { shape: [t.params], data: bias },
    ],
    Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, k === 'epsilon' ? { float: v } : fl(v)])),
    t.opset,
  );
}

describe('InstanceNormalization and GroupNormalization match onnxruntime', () => {
  for (const t of cases) {
    it(t.name, async () => {
      const { x, scale, bias, inputs, attrs } = data(t);
      const ref = await ortRef(t, x, scale, bias, attrs);
      const { model, feeds } = await singleOpModel(t.op, inputs, attrs, { opset: t.opset });
      const run = await model.run(feeds);
      const y = await run.read('out0');
      expect(y.shape).toEqual(ref.shape);
      const e = maxRelError(y.data, ref.data);
      report(`fwd ${t.name}`, e);
      // Measured worst 3.0e-7 (two-pass statistics in float32).
      expect(e).toBeLessThan(3e-6);
      run.dispose();
      model.dispose();
    });
  }

  it('folds on the host when every input is constant', async () => {
    const t = cases[3];
    const { x, scale, bias, inputs, attrs } = data(t, true);
    const ref = await ortRef(t, x, scale, bias, attrs);
    const { model, feeds } = await singleOpModel(t.op, inputs, attrs, { opset: t.opset });
    const run = await model.run(feeds);
    const e = maxRelError((await run.read('out0')).data, ref.data);
    report('fold', e);
    expect(e).toBeLessThan(1e-5);
    run.dispose();
    model.dispose();
  });

  it('refuses parameters of the wrong length, naming the node', async () => {
    const t = cases[3];
    const { inputs, attrs } = data(t);
    const bad = inputs.map((x, k) => (k ? { ...x, shape: [3], data: Array.from(x.data).slice(0, 3) } : x));
    const { model, feeds } = await singleOpModel(t.op, bad, attrs, { opset: 21 });
    await expect(model.run(feeds)).rejects.toThrow(/per channel \(8\) or per group \(2\).*GroupNormalization_node/s);
    model.dispose();
  });
});

describe("torch's opset-17 GroupNorm export (Reshape → InstanceNormalization → Reshape → Mul → Add)", () => {
  it('runs and matches onnxruntime', async () => {
    const [n, c, h, w, groups] = [2, 6, 4, 3, 3];
    const x = random(n * c * h * w, 41, -1, 2);
    const gamma = random(c, 42, 0.5, 1.5);
    const beta = random(c, 43);
    const f32 = (name: string, dims: number[], data: ArrayLike<number>) => ({
      name,
      dims,
      dataType: 1,
      rawData: new Uint8Array(Float32Array.from(data).buffer),
    });
    const i64 = (name: string, data: number[]) => ({
      name,
      dims: [data.length],
      dataType: 7,
      rawData: new Uint8Array(BigInt64Array.from(data.map(BigInt)).buffer),
    });
    const bytes = onnx.ModelProto.encode(
      onnx.ModelProto.create({
        irVersion: 8,
        opsetImport: [{ domain: '', version: 17 }],
        graph: {
          name: 'groupnorm17',
          node: [
            { opType: 'Shape', input: ['x'], output: ['shape'], name: 'shape' },
            { opType: 'Reshape', input: ['x', 'grouped'], output: ['r'], name: 'reshape_in' },
            {
              opType: 'InstanceNormalization',
              input: ['r', 'ones', 'zeros'],
              output: ['in'],
              name: 'instance_norm',
              attribute: [{ name: 'epsilon', type: 1, f: 1e-5 }],
            },
            { opType: 'Reshape', input: ['in', 'shape'], output: ['back'], name: 'reshape_out' },
            { opType: 'Mul', input: ['back', 'gamma'], output: ['m'], name: 'mul' },
            { opType: 'Add', input: ['m', 'beta'], output: ['y'], name: 'add' },
          ],
          input: [
            { name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [n, c, h, w].map((d) => ({ dimValue: d })) } } } },
          ],
          output: [{ name: 'y', type: { tensorType: { elemType: 1 } } }],
          initializer: [
            i64('grouped', [n, groups, -1]),
            f32('ones', [groups], Array(groups).fill(1)),
            f32('zeros', [groups], Array(groups).fill(0)),
            f32('gamma', [c, 1, 1], gamma),
            f32('beta', [c, 1, 1], beta),
          ],
        },
      }),
    ).finish();
    const ort = createRequire(new URL('../../../test/package.json', import.meta.url))('onnxruntime-node');
    const session = await ort.InferenceSession.create(bytes);
    const ref = (await session.run({ x: new ort.Tensor('float32', x, [n, c, h, w]) })).y;
    await session.release();
    const model = await loadModel(bytes, { runtime: await testRuntime() });
    const run = await model.run({ data: x, shape: [n, c, h, w] });
    const y = await run.read('y');
    expect(y.shape).toEqual([...ref.dims]);
    const e = maxRelError(y.data, ref.data as Float32Array);
    report('torch decomposition', e);
    expect(e).toBeLessThan(1e-5);
    // The same through GroupNormalization-21 directly.
    const direct = await singleOpModel(
      'GroupNormalization',
      [
        { shape: [n, c, h, w], data: x },
        { shape: [c], data: gamma, constant: true },
        { shape: [c], data: beta, constant: true },
      ],
      { num_groups: groups },
      { opset: 21 },
    );
    const r2 = await direct.model.run(direct.feeds);
    expect(maxRelError((await r2.read('out0')).data, y.data)).toBeLessThan(1e-5);
    r2.dispose();
    direct.model.dispose();
    run.dispose();
    model.dispose();
  });
});

describe('InstanceNormalization and GroupNormalization VJPs agree with finite differences', () => {
  for (const t of cases) {
    it(t.name, async () => {
      const { inputs, attrs } = data(t);
      const worst = await gradCheck(t.op, inputs, attrs, {
        opset: t.opset,
        wrt: [0, 1, 2],
        weights: true,
        eps: 1e-2,
        tol: 5e-4,
        samples: 24,
      });
      // Measured worst 1.6e-4 of the gradient's own scale (central differences at ε = 1e-2 over float32 forwards).
      report(`vjp ${t.name}`, worst);
    });
  }
});
