import { describe, expect, it } from 'vitest';
import { maxRelError, random, singleOpModel } from './gpu.ts';
import { expectSameMoves, sourceIndices } from './moved-elements.ts';
import { analyticVjp } from './vjp.ts';

interface Case {
  op: 'DepthToSpace' | 'SpaceToDepth';
  x: number[];
  b: number;
  mode?: 'DCR' | 'CRD';
}

const cases: Case[] = [
  { op: 'DepthToSpace', x: [2, 8, 3, 5], b: 2, mode: 'DCR' },
  { op: 'DepthToSpace', x: [1, 18, 2, 3], b: 3, mode: 'CRD' },
  { op: 'DepthToSpace', x: [1, 12, 3, 2], b: 2 },
  { op: 'SpaceToDepth', x: [2, 3, 4, 6], b: 2 },
  { op: 'SpaceToDepth', x: [1, 2, 6, 3], b: 3 },
];
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const label = (t: Case) => `${t.op} ${t.mode ?? ''} b${t.b} [${t.x.join(', ')}]`;
const attrsOf = (t: Case): Record<string, number | string> => (t.mode ? { blocksize: t.b, mode: t.mode } : { blocksize: t.b });

describe('DepthToSpace and SpaceToDepth match onnxruntime', () => {
  for (const t of cases) {
    it(label(t), async () => {
      // A permutation: exact, on the GPU and folded on the host.
      await expectSameMoves(t.op, { shape: t.x, data: random(size(t.x), 51) }, [], attrsOf(t), 13);
    });
  }

  it('refuses a channel count that does not split into blocks, naming the node', async () => {
    const { model, feeds } = await singleOpModel(
      'DepthToSpace',
      [{ shape: [1, 6, 2, 2], data: random(24) }],
      { blocksize: 2 },
      { opset: 13 },
    );
    await expect(model.run(feeds)).rejects.toThrow(/6 channels do not split into blocks of 2×2.*DepthToSpace_node/s);
    model.dispose();
  });
});

describe('DepthToSpace and SpaceToDepth VJPs are the inverse permutation', () => {
  for (const t of cases) {
    it(label(t), async () => {
      // onnxruntime over the element indices gives each output's source.
      const src = await sourceIndices(t.op, t.x, [], attrsOf(t), 13);
      const gy = random(src.length, 52);
      const [dx] = await analyticVjp(t.op, [{ shape: t.x, data: random(size(t.x), 51) }], attrsOf(t), gy, [0], { opset: 13 });
      const want = new Float64Array(src.length);
      src.forEach((s, i) => (want[s] = gy[i]));
      expect(maxRelError(dx, want)).toBe(0);
    });
  }
});
