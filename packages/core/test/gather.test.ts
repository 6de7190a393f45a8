import { describe, expect, it } from 'vitest';
import { random, singleOpModel } from './gpu.ts';
import { checkLinearOp, iota, take } from './linear-op.ts';

/** numpy.take(x, indices, axis), indices of any shape (negative counts from the end). */
function gatherRef(shape: number[], indices: number[], idxShape: number[], axis: number) {
  return (x: Float64Array) => {
    const lists = shape.map((d, k) => (k === axis ? indices.map((i) => (i < 0 ? i + d : i)) : iota(d)));
    const t = take(x, shape, lists);
    return [{ data: t.data, shape: [...shape.slice(0, axis), ...idxShape, ...shape.slice(axis + 1)] }];
  };
}

describe('Gather: float data on the GPU, VJP (scatter-add as a gather), fold', () => {
  const shape = [4, 3, 5];
  const x = { shape, data: random(60, 1) };
  const cases = [
    { axis: 0, idx: [0, -1, 2, 2], idxShape: [2, 2] },
    { axis: 1, idx: [2, 0, 2], idxShape: [3] },
    { axis: -1, idx: [4], idxShape: [] },
  ];
  for (const c of cases) {
    it(`axis ${c.axis}, indices [${c.idx}] shaped [${c.idxShape}]`, () =>
      checkLinearOp({
        name: `axis ${c.axis}`,
        opType: 'Gather',
        inputs: [x, { shape: c.idxShape, data: c.idx, constant: true, dtype: 'int64' }],
        attrs: { axis: c.axis },
        reference: gatherRef(shape, c.idx, c.idxShape, (c.axis + 3) % 3),
      }));
  }

  it('int data folds on the host (Shape → Gather)', async () => {
    const { model } = await singleOpModel('Gather', [
      { shape: [4], data: [1, 3, 224, 224], constant: true, dtype: 'int64' },
      { shape: [], data: [-2], constant: true, dtype: 'int64' },
    ]);
    const t = model.planFor(new Map()).inferred.consts.get('out0')!;
    expect(t.dtype).toBe('int64');
    expect(t.shape).toEqual([]);
    expect(Array.from(t.data)).toEqual([224]);
    model.dispose();
  });

  it('refuses an out-of-range index, naming the node', async () => {
    const { model } = await singleOpModel('Gather', [x, { shape: [1], data: [4], constant: true, dtype: 'int64' }]);
    expect(() => model.planFor(new Map([['in0', shape]]))).toThrow(/index 4 is out of range[\s\S]*node 'Gather_node'/);
    model.dispose();
  });
});
