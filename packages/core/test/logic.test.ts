/**
 * Not, And, Or, Xor over bools (0/1, any non-zero true) under broadcasting on the GPU and
 * folded on the host, and the ONNX backend cases (bool tensors the conformance harness skips).
 */
import { describe, expect, it } from 'vitest';
import { backendCases } from './backend-cases.ts';
import { singleOpModel } from './gpu.ts';

// Truth tables from the spec (numpy's logical_and / logical_or / logical_xor / logical_not).
const SPEC: Record<string, (p: boolean, q: boolean) => boolean> = {
  And: (p, q) => p && q,
  Or: (p, q) => p || q,
  Xor: (p, q) => p !== q,
};

// Every pair of truth values appears; 2 checks that any non-zero reads as true.
const p = [0, 1, 0, 1, 2, 0];
const q = [0, 1, 1];

describe('binary logic broadcasts [2,3] against [3] on the GPU', () => {
  for (const [op, f] of Object.entries(SPEC)) {
    it(op, async () => {
      const { model, feeds } = await singleOpModel(op, [
        { shape: [2, 3], data: p },
        { shape: [3], data: q },
      ]);
      const run = await model.run(feeds);
      const y = await run.read('out0');
      expect(Array.from(y.data)).toEqual(p.map((v, i) => (f(v !== 0, q[i % 3] !== 0) ? 1 : 0)));
      model.dispose();
    });
  }
  it('Not', async () => {
    const { model, feeds } = await singleOpModel('Not', [{ shape: [2, 3], data: p }]);
    const y = await (await model.run(feeds)).read('out0');
    expect(Array.from(y.data)).toEqual(p.map((v) => (v === 0 ? 1 : 0)));
    model.dispose();
  });
});

describe('logic over constant bools folds on the host', () => {
  it('Xor [2,1] with [3] → bool [2,3], no GPU node', async () => {
    const { model } = await singleOpModel('Xor', [
      { shape: [2, 1], data: [0, 1], constant: true, dtype: 'bool' },
      { shape: [3], data: [1, 0, 1], constant: true, dtype: 'bool' },
    ]);
    const { inferred } = model.planFor(new Map());
    expect(inferred.nodes).toHaveLength(0);
    const out = inferred.consts.get('out0')!;
    expect(out.dtype).toBe('bool');
    expect(Array.from(out.data)).toEqual([1, 0, 1, 0, 1, 0]);
    model.dispose();
  });
});

describe('ONNX backend cases', () => backendCases(/^test_(not|and|or|xor)/));
