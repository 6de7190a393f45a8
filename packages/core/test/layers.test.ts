/**
 * Model.layers: the float tensors computed on the GPU that a graph output depends on. A
 * comparison's bool mask, and a dead end (the unread half of a Split, an unread Dropout mask),
 * carry no gradient from the outputs, so they are no layers.
 */
import { expect, it } from 'vitest';
import { graphModel, int64Tensor, irNode } from './gpu.ts';

it('are the float tensors an output depends on: no bool masks, no dead ends', async () => {
  const model = await graphModel({
    nodes: [
      irNode('Relu', ['x'], ['r']),
      irNode('Split', ['r', 'halves'], ['used', 'unread'], { axis: 1 }),
      irNode('Greater', ['used', 'zero'], ['mask']),
      irNode('Where', ['mask', 'used', 'zero'], ['kept']),
      irNode('Dropout', ['kept'], ['y', 'dropMask']),
    ],
    inputs: [{ name: 'x', dtype: 'float32', dims: [1, 4, 2, 2] }],
    outputs: [{ name: 'y', dtype: 'float32', dims: [1, 2, 2, 2] }],
    initializers: new Map([
      ['halves', int64Tensor([2, 2])],
      ['zero', { dtype: 'float32', shape: [], data: new Float32Array([0]) }],
    ]),
    opset: 17,
    source: 'layers.test',
  });
  expect(model.layers.map((l) => l.name)).toEqual(['r', 'used', 'kept', 'y']);
  model.dispose();
});
