/**
 * torch.onnx.export builds shapes at run time: Shape → Gather → Unsqueeze → Concat → Reshape
 * (flatten), Shape → Gather → Div → Cast → Unsqueeze → Slice (ShuffleNet's channel split),
 * Range / ConstantOfShape / Expand over gathered dims. With the input shape fixed all of it
 * folds on the host, and only float work is left for the GPU.
 */
import { describe, expect, it } from 'vitest';
import { hostTensor, type Graph, type HostTensor } from '../src/graph/ir.ts';
import { graphModel, irNode, int64Tensor, random } from './gpu.ts';

describe('torch shape chains fold to constants (opset 11)', () => {
  it('flatten via Reshape, channel split via Slice, Range/ConstantOfShape/Expand', async () => {
    const shape = [1, 4, 3, 5];
    const nodes = [
      irNode('Shape', ['x'], ['s']),
      irNode('Gather', ['s', 'zero'], ['n']),
      irNode('Unsqueeze', ['n'], ['n1'], { axes: [0] }),
      irNode('Concat', ['n1', 'minus1'], ['flat_shape'], { axis: 0 }),
      irNode('Reshape', ['x', 'flat_shape'], ['flat']),
      irNode('Gather', ['s', 'one'], ['c']),
      irNode('Div', ['c', 'two'], ['half']),
      irNode('Cast', ['half'], ['half64'], { to: 7 }),
      irNode('Unsqueeze', ['half64'], ['end'], { axes: [0] }),
      irNode('Slice', ['x', 'start0', 'end', 'axis1'], ['first']),
      irNode('Gather', ['s', 'three'], ['w']),
      irNode('Range', ['zero', 'w', 'one'], ['cols']),
      irNode('Cast', ['cols'], ['colsf'], { to: 1 }),
      irNode('Concat', ['n1', 'n1'], ['ones_shape'], { axis: 0 }),
      irNode('ConstantOfShape', ['ones_shape'], ['ones'], { value: hostTensor('float32', [1], [2]) }),
      irNode('Concat', ['end', 'n1'], ['e_shape'], { axis: 0 }),
      irNode('Expand', ['colsf', 'e_shape'], ['grid']),
      irNode('Mul', ['first', 'ones'], ['scaled']),
    ];
    const initializers = new Map<string, HostTensor>([
      ['zero', int64Tensor([0], [])],
      ['one', int64Tensor([1], [])],
      ['two', int64Tensor([2], [])],
      ['three', int64Tensor([3], [])],
      ['minus1', int64Tensor([-1])],
      ['start0', int64Tensor([0])],
      ['axis1', int64Tensor([1])],
    ]);
    const graph: Graph = {
      nodes,
      inputs: [{ name: 'x', dtype: 'float32', dims: shape }],
      outputs: ['flat', 'first', 'grid', 'scaled'].map((name) => ({ name, dtype: 'float32' as const, dims: [] })),
      initializers,
      opset: 11,
      source: 'fold-chain.test',
    };
    const model = await graphModel(graph);
    const { inferred } = model.planFor(new Map([['x', shape]]));
    // Only the float work on x is left: Reshape (an alias), Slice and Mul.
    expect(inferred.nodes.map((n) => n.node.opType)).toEqual(['Reshape', 'Slice', 'Mul']);
    expect(Array.from(inferred.consts.get('flat_shape')!.data)).toEqual([1, -1]);
    expect(Array.from(inferred.consts.get('end')!.data)).toEqual([2]);
    expect(inferred.consts.get('grid')!.shape).toEqual([2, 5]);
    expect(Array.from(inferred.consts.get('grid')!.data)).toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);

    const x = random(60, 4);
    const run = await model.run({ data: x, shape });
    expect((await run.read('flat')).shape).toEqual([1, 60]);
    const scaled = await run.read('scaled');
    expect(scaled.shape).toEqual([1, 2, 3, 5]);
    expect(Array.from(scaled.data)).toEqual(Array.from(x.slice(0, 30), (v) => 2 * v));
    run.dispose();
    model.dispose();
  });
});
