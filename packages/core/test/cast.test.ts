import { describe, expect, it } from 'vitest';
import { random, singleOpModel } from './gpu.ts';
import { checkLinearOp } from './linear-op.ts';

describe('Cast', () => {
  it('float → float is the identity on the GPU (alias), with its gradient and fold', () =>
    checkLinearOp({
      name: 'cast float',
      opType: 'Cast',
      inputs: [{ shape: [2, 3], data: random(6, 1) }],
      attrs: { to: 1 },
      reference: (x) => [{ data: Float32Array.from(x), shape: [2, 3] }],
    }));

  it('casts of constants fold on the host: ints truncate toward zero, bool is != 0', async () => {
    const data = [1.7, -2.5, 0, 3];
    for (const [to, dtype, want] of [
      [7, 'int64', [1, -2, 0, 3]],
      [9, 'bool', [1, 1, 0, 1]],
      [1, 'float32', data.map(Math.fround)],
    ] as const) {
      const { model } = await singleOpModel('Cast', [{ shape: [4], data, constant: true }], { to });
      const t = model.planFor(new Map()).inferred.consts.get('out0')!;
      expect(t.dtype).toBe(dtype);
      expect(Array.from(t.data)).toEqual(want);
      model.dispose();
    }
  });

  it('refuses a run-time cast to an integer type, naming the node', async () => {
    const { model } = await singleOpModel('Cast', [{ shape: [2], data: [1, 2] }], { to: 7 });
    expect(() => model.planFor(new Map([['in0', [2]]]))).toThrow(/int64 at run time is not supported[\s\S]*node 'Cast_node'/);
    model.dispose();
  });
});
