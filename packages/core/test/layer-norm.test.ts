import { describe, expect, it } from 'vitest';
import { maxRelError, random, singleOpModel, type OpInput } from './gpu.ts';
import { gradCheck } from './gradcheck.ts';

const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Float64 layer norm: Y, and per row Mean and InvStdDev. Parameters broadcast to the block. */
function hostLayerNorm(x: ArrayLike<number>, shape: number[], axis: number, eps: number, scale: OpInput, bias?: OpInput) {
  const block = shape.slice(axis);
  const d = prod(block);
  const at = (p: OpInput, j: number) => {
    // numpy broadcast of p.shape against the block, index of block position j
    let idx = 0;
    let stride = 1;
    for (let k = block.length - 1, rest = j; k >= 0; k--) {
      const c = rest % block[k];
      rest = Math.floor(rest / block[k]);
      const pk = p.shape.length - (block.length - k);
      if (pk >= 0) {
        if (p.shape[pk] !== 1) idx += c * stride;
        stride *= p.shape[pk];
      }
    }
    return p.data[idx];
  };
  const y: number[] = [];
  const mean: number[] = [];
  const inv: number[] = [];
  for (let r = 0; r < x.length / d; r++) {
    const row = Array.from({ length: d }, (_, j) => x[r * d + j]);
    const mu = row.reduce((a, b) => a + b, 0) / d;
    const v = row.reduce((a, b) => a + (b - mu) ** 2, 0) / d;
    const rs = 1 / Math.sqrt(v + eps);
    row.forEach((xv, j) => y.push((xv - mu) * rs * at(scale, j) + (bias ? at(bias, j) : 0)));
    mean.push(mu);
    inv.push(rs);
  }
  return { y, mean, inv };
}

interface Case {
  name: string;
  shape: number[];
  axis?: number;
  epsilon?: number;
  scale: number[];
  bias?: number[];
}

const cases: Case[] = [
  { name: 'default axis -1 with bias', shape: [2, 3, 8], scale: [8], bias: [8] },
  { name: 'axis 1 of 4-D, no bias', shape: [2, 3, 4, 5], axis: 1, scale: [3, 4, 5] },
  { name: 'axis 0: the whole tensor is one row', shape: [3, 4], axis: 0, epsilon: 0.1, scale: [3, 4], bias: [3, 4] },
  { name: 'axis -2, broadcast scale [1, 5] and bias [5]', shape: [2, 3, 4, 5], axis: -2, scale: [1, 5], bias: [5] },
];

describe('LayerNormalization matches a float64 reference', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const x = random(prod(c.shape), 3, -3, 3);
      const scale = { shape: c.scale, data: random(prod(c.scale), 4, 0.5, 1.5) };
      const bias = c.bias && { shape: c.bias, data: random(prod(c.bias), 5) };
      const attrs = {
        ...(c.axis !== undefined ? { axis: c.axis } : {}),
        ...(c.epsilon !== undefined ? { epsilon: c.epsilon } : {}),
      };
      const { model, feeds } = await singleOpModel(
        'LayerNormalization',
        [{ shape: c.shape, data: x }, scale, ...(bias ? [bias] : [])],
        attrs,
        { outputs: 3 },
      );
      const run = await model.run(feeds);
      const axis = c.axis === undefined ? c.shape.length - 1 : (c.axis + c.shape.length) % c.shape.length;
      const want = hostLayerNorm(x, c.shape, axis, c.epsilon ?? 1e-5, scale, bias);
      const y = await run.read('out0');
      expect(y.shape).toEqual(c.shape);
      expect(maxRelError(y.data, want.y)).toBeLessThan(1e-5);
      const statsShape = c.shape.map((d, k) => (k < axis ? d : 1));
      const mean = await run.read('out1');
      expect(mean.shape).toEqual(statsShape);
      expect(maxRelError(mean.data, want.mean)).toBeLessThan(1e-5);
      expect(maxRelError((await run.read('out2')).data, want.inv)).toBeLessThan(1e-5);
      model.dispose();
    });
  }
  it('only Y requested', async () => {
    const x = random(40, 7, -2, 2);
    const scale = { shape: [8], data: random(8, 8) };
    const { model, feeds } = await singleOpModel('LayerNormalization', [{ shape: [5, 8], data: x }, scale]);
    const y = await (await model.run(feeds)).read('out0');
    expect(maxRelError(y.data, hostLayerNorm(x, [5, 8], 1, 1e-5, scale).y)).toBeLessThan(1e-5);
    model.dispose();
  });
});

describe('LayerNormalization VJPs match finite differences', () => {
  it('dX, dScale, dBias (axis -1)', async () => {
    const inputs: OpInput[] = [
      { shape: [3, 2, 6], data: random(36, 11, -2, 2) },
      { shape: [6], data: random(6, 12, 0.5, 1.5), constant: true },
      { shape: [6], data: random(6, 13), constant: true },
    ];
    await gradCheck('LayerNormalization', inputs, {}, { wrt: [0, 1, 2], weights: true, eps: 1e-3, samples: 24 });
  });
  it('dX, broadcast dScale (axis 1)', async () => {
    const inputs: OpInput[] = [
      { shape: [2, 3, 4], data: random(24, 14, -2, 2) },
      { shape: [1, 4], data: random(4, 15, 0.5, 1.5), constant: true },
    ];
    await gradCheck('LayerNormalization', inputs, { axis: 1 }, { wrt: [0, 1], weights: true, eps: 1e-3, samples: 24 });
  });
});
