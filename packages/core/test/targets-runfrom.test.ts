import { describe, expect, it } from 'vitest';
import { loadModel } from '../src/load-model.ts';
import type { Target } from '../src/autodiff/targets.ts';
import { encodeModel, tinyCnn } from './onnx-builder.ts';
import { random, testRuntime } from './gpu.ts';

/** Host target values, written from pytorch-grad-cam's model_targets definitions. */
function hostValue(t: Target, y: number[]): number {
  const lse = Math.log(y.reduce((s, v) => s + Math.exp(v), 0));
  if ('classes' in t) return t.classes.reduce((s, c) => s + c.weight * y[c.class], 0);
  if ('score' in t) return t.score(Float32Array.from(y)).value;
  switch (t.kind ?? 'logit') {
    case 'logit':
      return y[t.class];
    case 'softmax':
      return Math.exp(y[t.class] - lse);
    case 'rest':
      return y[t.class] - (lse - y[t.class]); // logit − cross_entropy(logits, class)
    default:
      return (t.class === 1 ? 1 : -1) * y[0];
  }
}

describe('targets', () => {
  const targets: Target[] = [
    { class: 1 },
    { class: 0, kind: 'softmax' },
    { class: 1, kind: 'rest' },
    {
      classes: [
        { class: 0, weight: 0.3 },
        { class: 1, weight: -2 },
      ],
    },
  ];
  for (const t of targets) {
    it(`${JSON.stringify(t)}: score and seed gradient match the host definition (finite differences)`, async () => {
      const model = await loadModel(encodeModel(tinyCnn()), { runtime: await testRuntime() });
      const run = await model.run({ data: random(36, 3, -1, 2), shape: [2, 2, 3, 3] });
      const y = Array.from((await run.read('y')).data);
      const g = await run.backward([t, { class: 0 }]);
      const seed = Array.from((await g.read('y')).data);
      const row = y.slice(0, 2);
      expect(g.scores[0]).toBeCloseTo(hostValue(t, row), 5);
      expect(g.scores[1]).toBeCloseTo(y[2], 5);
      for (let j = 0; j < 2; j++) {
        const up = [...row];
        const down = [...row];
        up[j] += 1e-4;
        down[j] -= 1e-4;
        expect(seed[j]).toBeCloseTo((hostValue(t, up) - hostValue(t, down)) / 2e-4, 3);
      }
      expect(seed.slice(2)).toEqual([1, 0]);
      model.dispose();
    });
  }
  it('binary target: the single output score, sign flipped for class 0', async () => {
    const bytes = encodeModel({
      ...tinyCnn(),
      nodes: [...tinyCnn().nodes, { op: 'ReduceSum', inputs: ['y'], outputs: ['z'], attrs: { axes: [1], keepdims: 1 } }],
      outputs: ['z'],
    });
    const model = await loadModel(bytes, { runtime: await testRuntime() });
    const run = await model.run({ data: random(18, 5), shape: [1, 2, 3, 3] });
    const z = (await run.read('z')).data[0];
    expect((await run.backward({ class: 0, kind: 'binary' })).scores[0]).toBeCloseTo(-z, 5);
    await expect(run.backward({ class: 2, kind: 'binary' })).rejects.toThrow(/must be 0 or 1/);
  });
  it('a wrong number of per-image targets is refused', async () => {
    const model = await loadModel(encodeModel(tinyCnn()), { runtime: await testRuntime() });
    const run = await model.run({ data: random(36, 3), shape: [2, 2, 3, 3] });
    await expect(run.backward([{ class: 0 }])).rejects.toThrow(/1 targets given for a batch of 2/);
  });
});

describe('runFrom', () => {
  // x → Relu → r → Mul(k) → m; s = m + x (a skip from upstream of the override); y = ReduceSum(s).
  const k = [2, -1];
  const bytes = encodeModel({
    nodes: [
      { op: 'Relu', inputs: ['x'], outputs: ['r'] },
      { op: 'Mul', inputs: ['r', 'k'], outputs: ['m'] },
      { op: 'Add', inputs: ['m', 'x'], outputs: ['s'] },
      { op: 'ReduceSum', inputs: ['s'], outputs: ['y'], attrs: { axes: [2, 3], keepdims: 0 } },
    ],
    inputs: [{ name: 'x', dims: ['n', 2, 2, 2] }],
    outputs: ['y'],
    initializers: [{ name: 'k', dims: [1, 2, 1, 1], data: k }],
    opset: 12,
  });

  it('re-runs only downstream nodes, batched, tiling batch-1 upstream tensors', async () => {
    const model = await loadModel(bytes, { runtime: await testRuntime() });
    const x = random(8, 7, -1, 1);
    const run = await model.run({ data: x, shape: [1, 2, 2, 2] });
    const variants = random(3 * 8, 9, -1, 1);
    const child = await run.runFrom({ r: { data: variants, shape: [3, 2, 2, 2] } });
    const y = (await child.read('y')).data;
    for (let b = 0; b < 3; b++) {
      for (let c = 0; c < 2; c++) {
        let want = 0;
        for (let p = 0; p < 4; p++) want += k[c] * variants[b * 8 + c * 4 + p] + x[c * 4 + p];
        expect(y[b * 2 + c]).toBeCloseTo(want, 5);
      }
    }
    expect(child.has('r')).toBe(true);
    expect(child.tensor('x').shape).toEqual([3, 2, 2, 2]); // the batch-1 skip input, tiled
    // Gradients flow back to the overridden tensor.
    const g = await child.backward(Array.from({ length: 3 }, () => ({ class: 1 })));
    expect(Array.from((await g.read('r')).data.subarray(4, 8))).toEqual([k[1], k[1], k[1], k[1]]);
    await expect(run.runFrom({ nope: { data: variants, shape: [3, 2, 2, 2] } })).rejects.toThrow(/no tensor named 'nope'/);
    await expect(run.runFrom({ r: { data: variants, shape: [3, 2, 2, 1] } })).rejects.toThrow(/expected \[3, 2, 2, 2\]/);
  });
});
