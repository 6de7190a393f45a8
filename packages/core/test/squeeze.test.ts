import { describe, expect, it } from 'vitest';
import { random, singleOpModel } from './gpu.ts';
import { checkLinearOp } from './linear-op.ts';

const ints = (data: number[]) => ({ shape: [data.length], data, constant: true, dtype: 'int64' as const });
const same = (shape: number[]) => (x: Float64Array) => [{ data: x, shape }];

describe('Squeeze / Unsqueeze: aliases (no kernel), gradients pass through, fold', () => {
  const x = { shape: [1, 3, 1, 4], data: random(12, 6) };
  it('Squeeze axes input (opset 13)', () =>
    checkLinearOp({ name: 'squeeze', opType: 'Squeeze', inputs: [x, ints([0, -2])], reference: same([3, 4]) }));
  it('Squeeze without axes drops every 1', () =>
    checkLinearOp({ name: 'squeeze all', opType: 'Squeeze', inputs: [x], reference: same([3, 4]) }));
  it('Squeeze axes attribute (opset 11)', () =>
    checkLinearOp({
      name: 'squeeze 11',
      opType: 'Squeeze',
      inputs: [x],
      attrs: { axes: [2] },
      opset: 11,
      reference: same([1, 3, 4]),
    }));
  it('Unsqueeze axes input, unsorted and negative', () =>
    checkLinearOp({
      name: 'unsqueeze',
      opType: 'Unsqueeze',
      inputs: [{ shape: [3, 4], data: random(12, 7) }, ints([-1, 0])],
      reference: same([1, 3, 4, 1]),
    }));
  it('Unsqueeze axes attribute (opset 11)', () =>
    checkLinearOp({
      name: 'unsqueeze 11',
      opType: 'Unsqueeze',
      inputs: [{ shape: [3, 4], data: random(12, 7) }],
      attrs: { axes: [1] },
      opset: 11,
      reference: same([3, 1, 4]),
    }));

  it('refuses to squeeze an axis that is not 1, naming the node', async () => {
    const { model } = await singleOpModel('Squeeze', [x, ints([1])]);
    expect(() => model.planFor(new Map([['in0', x.shape]]))).toThrow(/axis 1 of size 3[\s\S]*node 'Squeeze_node'/);
    model.dispose();
  });
});
