/**
 * torch.onnx.export builds shapes at run time: Shape → Gather → Unsqueeze → Concat → Reshape
 * (flatten), Shape → Gather → Div → Cast → Unsqueeze → Slice (ShuffleNet's channel split),
 * Range / ConstantOfShape / Expand over gathered dims. With the input shape fixed all of it
 * folds on the host, and only float work is left for the GPU.
 */
import { describe, expect, it } from 'vitest';
import { toposort } from '../src/graph/toposort.ts';
import { hostTensor, type AttrValue, type Graph, type HostTensor, type Node } from '../src/graph/ir.ts';
import { Model } from '../src/model.ts';
import { defaultRegistry } from '../src/ops/index.ts';
import { random, testRuntime } from './gpu.ts';

const node = (opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}): Node => ({ name: `${opType}:${outputs[0]}`, opType, domain: '', inputs, outputs, attributes: new Map(Object.entries(attrs)) });
const i64 = (data: number[], shape = [data.length]): HostTensor => hostTensor('int64', shape, data);

describe('torch shape chains fold to constants (opset 11)', () => {
  it('flatten via Reshape, channel split via Slice, Range/ConstantOfShape/Expand', async () => {
    const shape = [1, 4, 3, 5];
    const nodes = [
      node('Shape', ['x'], ['s']),
      node('Gather', ['s', 'zero'], ['n']),
      node('Unsqueeze', ['n'], ['n1'], { axes: [0] }),
      node('Concat', ['n1', 'minus1'], ['flat_shape'], { axis: 0 }),
      node('Reshape', ['x', 'flat_shape'], ['flat']),
      node('Gather', ['s', 'one'], ['c']),
      node('Div', ['c', 'two'], ['half']),
      node('Cast', ['half'], ['half64'], { to: 7 }),
      node('Unsqueeze', ['half64'], ['end'], { axes: [0] }),
      node('Slice', ['x', 'start0', 'end', 'axis1'], ['first']),
      node('Gather', ['s', 'three'], ['w']),
      node('Range', ['zero', 'w', 'one'], ['cols']),
      node('Cast', ['cols'], ['colsf'], { to: 1 }),
      node('Concat', ['n1', 'n1'], ['ones_shape'], { axis: 0 }),
      node('ConstantOfShape', ['ones_shape'], ['ones'], { value: hostTensor('float32', [1], [2]) }),
      node('Concat', ['end', 'n1'], ['e_shape'], { axis: 0 }),
      node('Expand', ['colsf', 'e_shape'], ['grid']),
      node('Mul', ['first', 'ones'], ['scaled']),
    ];
    const initializers = new Map<string, HostTensor>([
      ['zero', i64([0], [])], ['one', i64([1], [])], ['two', i64([2], [])], ['three', i64([3], [])],
      ['minus1', i64([-1])], ['start0', i64([0])], ['axis1', i64([1])],
    ]);
    const graph: Graph = {
      nodes,
      inputs: [{ name: 'x', dtype: 'float32', dims: shape }],
      outputs: ['flat', 'first', 'grid', 'scaled'].map((name) => ({ name, dtype: 'float32' as const, dims: [] })),
      initializers,
      opset: 11,
      source: 'fold-chain.test',
    };
    const model = new Model(graph, toposort(graph), defaultRegistry, await testRuntime());
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
