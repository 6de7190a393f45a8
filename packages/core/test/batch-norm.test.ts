import { describe, expect, it } from 'vitest';
import { maxRelError, random, singleOpModel, type OpInput } from './gpu.ts';
import { gradCheck } from './gradcheck.ts';

/** x, then scale, bias, mean, var as initializers (variance positive). */
function bnInputs(shape: number[], seed: number): OpInput[] {
  const c = shape[1];
  const n = shape.reduce((a, b) => a * b, 1);
  return [
    { shape, data: random(n, seed, -2, 2) },
    { shape: [c], data: random(c, seed + 1, 0.5, 1.5), constant: true },
    { shape: [c], data: random(c, seed + 2, -0.5, 0.5), constant: true },
    { shape: [c], data: random(c, seed + 3, -0.3, 0.3), constant: true },
    { shape: [c], data: random(c, seed + 4, 0.2, 2), constant: true },
  ];
}

function hostBatchNorm(inputs: OpInput[], epsilon: number): number[] {
  const [x, s, b, m, v] = inputs.map((t) => t.data);
  const shape = inputs[0].shape;
  const inner = shape.slice(2).reduce((a, d) => a * d, 1);
  return Array.from(x, (xi, i) => {
    const c = Math.floor(i / inner) % shape[1];
    return (s[c] * (xi - m[c])) / Math.sqrt(v[c] + epsilon) + b[c];
  });
}

describe('BatchNormalization (inference) matches a float64 reference', () => {
  for (const [shape, epsilon] of [
    [[3, 4], 1e-5],
    [[2, 3, 7], 1e-3],
    [[2, 3, 5, 4], 1e-5],
    [[1, 2, 3, 4, 2], 0.1],
  ] as const) {
    it(`[${shape}] epsilon ${epsilon}`, async () => {
      const inputs = bnInputs([...shape], 3);
      const { model, feeds } = await singleOpModel('BatchNormalization', inputs, { epsilon });
      const y = await (await model.run(feeds)).read('out0');
      expect(y.shape).toEqual(shape);
      expect(maxRelError(y.data, hostBatchNorm(inputs, epsilon))).toBeLessThan(2e-6);
      model.dispose();
    });
  }
  it('opset 6 (is_test, momentum) reads the same', async () => {
    const inputs = bnInputs([2, 3, 4, 4], 5);
    const { model, feeds } = await singleOpModel(
      'BatchNormalization',
      inputs,
      { epsilon: 1e-5, is_test: 1, momentum: 0.9 },
      { opset: 6 },
    );
    const y = await (await model.run(feeds)).read('out0');
    expect(maxRelError(y.data, hostBatchNorm(inputs, 1e-5))).toBeLessThan(2e-6);
    model.dispose();
  });
});

describe('BatchNormalization VJPs match finite differences', () => {
  it('dX, dScale, dBias', async () => {
    await gradCheck(
      'BatchNormalization',
      bnInputs([2, 3, 4, 5], 7),
      { epsilon: 1e-5 },
      { wrt: [0, 1, 2], weights: true, eps: 1e-3 },
    );
  });
  it('dX of a rank-2 input', async () => {
    await gradCheck('BatchNormalization', bnInputs([4, 6], 9), {}, { eps: 1e-3 });
  });
});

describe('BatchNormalization refusals name the node', () => {
  it('training_mode=1', async () => {
    const { model, feeds } = await singleOpModel(
      'BatchNormalization',
      bnInputs([2, 3, 2, 2], 1),
      { training_mode: 1 },
      { opset: 15 },
    );
    await expect(model.run(feeds)).rejects.toThrow(/training_mode=1 is not supported.*BatchNormalization_node/);
    model.dispose();
  });
  it('running-statistics outputs', async () => {
    const { model, feeds } = await singleOpModel('BatchNormalization', bnInputs([2, 3, 2, 2], 1), {}, { opset: 9, outputs: 3 });
    await expect(model.run(feeds)).rejects.toThrow(/running-statistics outputs.*BatchNormalization_node/);
    model.dispose();
  });
});
