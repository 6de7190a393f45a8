/**
 * If whose condition folds at plan time: hand-built ONNX files (onnx-proto) with an If on a
 * shape check (the taken branch depends on the input size), branches that read outer values,
 * pass one through, nest another If and hold names that would clash once inlined; gradients
 * through the inlined branch. A condition computed from the image is refused naming the node,
 * and so are Loop bodies. The ONNX backend's test_if, whose condition is a graph input, runs
 * here with the condition known before the run (conformance excludes it: exclusions.ts).
 */
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { listCases, runCase } from '../../../test/conformance/cases.ts';
import { withOutput } from '../src/graph/select-output.ts';
import { modelFromGraph } from '../src/model.ts';
import { decodeModel } from '../src/onnx/decode.ts';
import { random, testRuntime } from './gpu.ts';

const { onnx } = onnxProto;
type INode = onnxProto.onnx.INodeProto;
type IGraph = onnxProto.onnx.IGraphProto;

const node = (
  opType: string,
  input: string[],
  output: string[],
  name: string,
  attribute: onnxProto.onnx.IAttributeProto[] = [],
): INode => ({ opType, input, output, name, attribute });
const int64 = (name: string, values: number[], dims = [values.length]) => ({ name, dims, dataType: 7, int64Data: values });
const floats = (name: string, values: number[], dims: number[]) => ({ name, dims, dataType: 1, floatData: values });
const branch = (name: string, nodes: INode[], outputs: string[], initializer: onnxProto.onnx.ITensorProto[] = []): IGraph => ({
  name,
  node: nodes,
  output: outputs.map((o) => ({ name: o })),
  initializer,
});
const ifNode = (cond: string, outs: string[], name: string, then: IGraph, otherwise: IGraph) =>
  node('If', [cond], outs, name, [
    { name: 'then_branch', type: 5, g: then },
    { name: 'else_branch', type: 5, g: otherwise },
  ]);

function encode(nodes: INode[], initializer: onnxProto.onnx.ITensorProto[], outputs: string[]): Uint8Array {
  const dims = [{ dimParam: 'batch' }, { dimValue: 2 }, { dimParam: 'h' }, { dimParam: 'w' }];
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'if',
      node: nodes,
      initializer,
      input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: dims } } } }],
      output: outputs.map((name) => ({ name, type: { tensorType: { elemType: 1 } } })),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/**
 * y = x is 4 high ? (x is 4 wide ? relu(x)·scale + 1 : x) : −x. The then branch reads the outer
 * x, names a value 'r' that becomes 'If_0/r', a name the outer graph holds, and nests an If that
 * reads that r, the outer scale and an initializer of its own, and whose else branch passes the
 * outer x through.
 */
const shapeCheck = (order: (nodes: INode[]) => INode[] = (n) => n) =>
  encode(
    order([
      node('Shape', ['x'], ['s'], 'Shape_0'),
      node('Gather', ['s', 'two'], ['h'], 'Gather_h'),
      node('Equal', ['h', 'four'], ['tall'], 'Equal_h'),
      node('Gather', ['s', 'three'], ['w'], 'Gather_w'),
      node('Equal', ['w', 'four'], ['wide'], 'Equal_w'),
      node('Neg', ['x'], ['If_0/r'], 'Clash'),
      ifNode(
        'tall',
        ['y'],
        'If_0',
        branch(
          'then',
          [
            node('Relu', ['x'], ['r'], 'Relu'),
            ifNode(
              'wide',
              ['inner'],
              'If_1',
              branch(
                'then',
                [node('Mul', ['r', 'scale'], ['m'], 'Mul'), node('Add', ['m', 'one'], ['t'], 'Add')],
                ['t'],
                [floats('one', [1], [])],
              ),
              branch('else', [], ['x']),
            ),
          ],
          ['inner'],
        ),
        branch('else', [node('Neg', ['x'], ['n'], 'Neg')], ['n']),
      ),
      node('Add', ['y', 'zero'], ['out'], 'Out'),
    ]),
    [
      int64('two', [2], []),
      int64('three', [3], []),
      int64('four', [4], []),
      floats('scale', [2, -3], [1, 2, 1, 1]),
      floats('zero', [0], []),
    ],
    ['out', 'If_0/r'],
  );

async function forward(bytes: Uint8Array, shape: number[]) {
  const model = await modelFromGraph(decodeModel(bytes, 'if.onnx'), { runtime: await testRuntime(), inputShape: shape });
  const x = random(
    shape.reduce((a, b) => a * b, 1),
    7,
  );
  const run = await model.run({ data: x, shape });
  const y = Array.from((await run.read('out')).data);
  const layers = model.layers.map((l) => l.name);
  return { model, run, x, y, layers };
}

describe('If on a shape check inlines the branch the input size takes', () => {
  it('4x4: then, and the nested then (outer x and scale, the branch initializer)', async () => {
    const { model, run, x, y, layers } = await forward(shapeCheck(), [1, 2, 4, 4]);
    expect(y).toEqual(Array.from(x, (v, i) => Math.fround(Math.fround(Math.max(v, 0) * (i < 16 ? 2 : -3)) + 1)));
    // Branch values renamed under the If's node; 'If_0/r' was taken by the outer graph.
    expect(layers).toEqual(['If_0/r', 'If_0/r#1', 'If_0/If_1/m', 'y', 'out']);
    expect(Array.from((await run.read('If_0/r')).data)).toEqual(Array.from(x, (v) => -v));
    run.dispose();
    model.dispose();
  });

  it('4x6: then, and the nested else passing the outer x through', async () => {
    const { model, run, x, y } = await forward(shapeCheck(), [1, 2, 4, 6]);
    expect(y).toEqual(Array.from(x));
    run.dispose();
    model.dispose();
  });

  it('orders the If after what its branches read (the nested If reads wide), files unsorted', async () => {
    const { model, run, x, y } = await forward(
      shapeCheck((n) => [...n].reverse()),
      [1, 2, 4, 6],
    );
    expect(y).toEqual(Array.from(x));
    run.dispose();
    model.dispose();
  });

  it('keeps what the branches read when the graph is cut down to one output', async () => {
    const graph = withOutput(decodeModel(shapeCheck(), 'if.onnx'), 'out');
    expect(graph.nodes.map((n) => n.name)).toEqual(['Shape_0', 'Gather_h', 'Equal_h', 'Gather_w', 'Equal_w', 'If_0', 'Out']);
  });

  it('6x4: else', async () => {
    const { model, run, x, y } = await forward(shapeCheck(), [1, 2, 6, 4]);
    expect(y).toEqual(Array.from(x, (v) => -v));
    run.dispose();
    model.dispose();
  });

  it('gradients flow through the inlined branch', async () => {
    const { model, run, x } = await forward(shapeCheck(), [1, 2, 4, 4]);
    const w = random(32, 9);
    const grads = await run.backward([{ describe: 'w·y', score: () => ({ value: 0, grad: w }) }], {
      output: 'out',
      layers: ['x'],
    });
    // d(relu(x)·scale + 1)/dx = scale where x > 0.
    expect(Array.from((await grads.read('x')).data)).toEqual(
      Array.from(x, (v, i) => (v > 0 ? Math.fround(w[i] * (i < 16 ? 2 : -3)) : 0)),
    );
    grads.dispose();
    run.dispose();
    model.dispose();
  });
});

describe('If and loops that camanim cannot plan', () => {
  it('refuses a condition computed from the image, naming the node', async () => {
    const bytes = encode(
      [
        node('ReduceSum', ['x'], ['sum'], 'Sum', [{ name: 'keepdims', type: 2, i: 0 }]),
        node('Greater', ['sum', 'zero'], ['c'], 'Positive'),
        ifNode('c', ['y'], 'If_image', branch('then', [node('Relu', ['x'], ['r'], 'Relu')], ['r']), branch('else', [], ['x'])),
      ],
      [floats('zero', [0], [])],
      ['y'],
    );
    const model = await modelFromGraph(decodeModel(bytes, 'if.onnx'), { runtime: await testRuntime() });
    await expect(model.run({ data: random(32, 3), shape: [1, 2, 4, 4] })).rejects.toThrow(
      /If's condition 'c' is computed from the image.*node 'If_image', op 'If'.*export the model with this condition fixed/s,
    );
    model.dispose();
  });

  it('refuses a Loop body at decode, naming the node', () => {
    const body = branch('body', [node('Identity', ['v'], ['v2'], 'Id')], ['cond_in', 'v2']);
    const bytes = encode([node('Loop', ['', '', 'x'], ['y'], 'Loop_0', [{ name: 'body', type: 5, g: body }])], [], ['y']);
    expect(() => decodeModel(bytes, 'loop.onnx')).toThrow(
      /Attribute 'body' of Loop holds a subgraph \(a loop body\).*node 'Loop_0', op 'Loop'/s,
    );
  });
});

describe('ONNX backend test_if, its condition known before the run', () => {
  const { cases } = listCases(/^test_if$/);
  it('finds it', () => expect(cases.length).toBe(1));
  for (const c of cases) {
    it(c.name, async () => {
      const r = await runCase({ ...c, skip: undefined }, await testRuntime());
      expect(r.detail).toBe('');
      expect(r.ok).toBe(true);
    });
  }
});
