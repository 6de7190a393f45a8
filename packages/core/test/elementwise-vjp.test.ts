import { describe, it } from 'vitest';
import { binaryRows } from '../src/ops/binary.ts';
import { unaryRows } from '../src/ops/unary.ts';
import { random } from './gpu.ts';
import { gradCheck } from './gradcheck.ts';

describe('unary VJPs match finite differences', () => {
  for (const row of unaryRows) {
    it(row.type, async () => {
      const positive = ['Sqrt', 'Log', 'Reciprocal'].includes(row.type);
      // Keep samples away from kinks (ReLU at 0, HardSigmoid/HardSwish corners) where FD is undefined.
      const x = random(2 * 3 * 4 * 5, 11, positive ? 0.5 : -2.5, 2.5).map((v) => (Math.abs(v) < 0.05 ? v + 0.1 : v));
      await gradCheck(row.type, [{ shape: [2, 3, 4, 5], data: x }], {}, { eps: 1e-3 });
    });
  }
  it('Clip (opset 11 bounds as constant inputs)', async () => {
    await gradCheck(
      'Clip',
      [
        { shape: [4, 6], data: random(24, 3, -2, 2) },
        { shape: [], data: [-0.5], constant: true },
        { shape: [], data: [0.7], constant: true },
      ],
      {},
      { eps: 1e-3, opset: 13 },
    );
  });
});

describe('binary VJPs reduce over broadcast dims', () => {
  for (const row of binaryRows) {
    it(row.type, async () => {
      const a = random(2 * 3 * 4, 3, 0.5, 2);
      const b = random(3, 5, 0.5, 2);
      await gradCheck(
        row.type,
        [
          { shape: [2, 3, 4], data: a },
          { shape: [3, 1], data: b },
        ],
        {},
        { eps: 1e-3 },
      );
    });
  }
  it('PRelu legacy per-channel slope [C] for [N, C, H, W]', async () => {
    await gradCheck(
      'PRelu',
      [
        { shape: [2, 3, 4, 5], data: random(120, 8, -2, 2) },
        { shape: [3], data: random(3, 9, 0.1, 0.5) },
      ],
      {},
      { eps: 1e-3 },
    );
  });
  it('guided ReLU passes only positive gradients', async () => {
    const { singleOpModel } = await import('./gpu.ts');
    const { model, feeds } = await singleOpModel('Relu', [{ shape: [1, 8], data: [-1, 1, 2, -2, 3, 0.5, -0.5, 4] }]);
    const run = await model.run(feeds);
    const w = [1, -1, 1, 1, -1, 1, 1, 1];
    const target = { describe: 'w·y', score: (_row: Float32Array) => ({ value: 0, grad: Float32Array.from(w) }) };
    const g = await (await run.backward(target, { output: 'out0', layers: ['in0'], mode: 'guided' })).read('in0');
    const { expect } = await import('vitest');
    expect(Array.from(g.data)).toEqual([0, 0, 1, 0, 0, 1, 0, 1]);
    model.dispose();
  });
});
