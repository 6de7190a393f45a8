/**
 * 5-D (video) tensors: convolutions with more than 3 spatial axes are refused when the model
 * loads, naming the node, the op and what is missing (R3D-18's Conv used to load and fail on its
 * first run); 3-D Conv and ConvTranspose load (their numbers: conv3d.test.ts,
 * conv-transpose.test.ts); BatchNormalization runs on volumes.
 */
import { describe, expect, it } from 'vitest';
import { hostTensor, type Graph } from '../src/graph/ir.ts';
import { modelFromGraph } from '../src/model.ts';
import { random, singleOpModel, testRuntime } from './gpu.ts';
import { isCamanimError } from '../src/errors.ts';

const weights = (dims: number[]) =>
  hostTensor(
    'float32',
    dims,
    random(
      dims.reduce((a, b) => a * b, 1),
      1,
    ),
  );

const volumeOp = (
  op: string,
  opts: { kernelAttr?: number[]; weightConst?: boolean; inputDims?: number[]; weightDims?: number[] },
): Graph => ({
  nodes: [
    {
      name: 'stem.0',
      opType: op,
      domain: '',
      inputs: ['video', 'w'],
      outputs: ['y'],
      attributes: new Map(opts.kernelAttr ? [['kernel_shape', opts.kernelAttr]] : []),
    },
  ],
  inputs: [
    { name: 'video', dtype: 'float32', dims: opts.inputDims ?? [1, 3, 4, 8, 8] },
    ...(opts.weightConst === false ? [{ name: 'w', dtype: 'float32' as const, dims: [] }] : []),
  ],
  outputs: [{ name: 'y', dtype: 'float32', dims: [] }],
  initializers: new Map(opts.weightConst === false ? [] : [['w', weights(opts.weightDims ?? [3, 2, 3, 3, 3])]]),
  opset: 13,
  source: 'r3d.onnx',
});

async function loadError(graph: Graph): Promise<Error> {
  const err = await modelFromGraph(graph, { runtime: await testRuntime() }).then(
    () => undefined,
    (e: Error) => e,
  );
  if (!err) throw new Error('the model loaded');
  return err;
}

describe('convolutions over four spatial axes fail at load time', () => {
  it('from the weight initializer', async () => {
    const e = await loadError(volumeOp('ConvTranspose', { inputDims: [1, 3, 2, 4, 4, 4], weightDims: [3, 2, 1, 1, 1, 1] }));
    expect(isCamanimError(e) && e.code).toBe('unsupported-op');
    expect(e.message).toMatch(
      /^ConvTranspose: a 4-D transposed convolution \(weights 'w' are 6-D\) is not supported: only 1-D, 2-D and 3-D transposed convolutions run/,
    );
    expect(e.message).toContain("file 'r3d.onnx', node 'stem.0', op 'ConvTranspose'");
    expect(e.message).toContain('at most 3 spatial axes');
  });
  it('from kernel_shape, or the declared input, when the weights are not constants', async () => {
    expect(
      (await loadError(volumeOp('Conv', { kernelAttr: [1, 3, 3, 3], weightConst: false, inputDims: [1, 3, 2, 4, 4, 4] })))
        .message,
    ).toMatch(/Conv: a 4-D convolution \(input 'video' is 6-D\)/);
    expect((await loadError(volumeOp('Conv', { weightConst: false, inputDims: [1, 3, 2, 4, 4, 4] }))).message).toMatch(
      /Conv: a 4-D convolution \(input 'video' is 6-D\)/,
    );
  });
  it('3-D convolutions and transposed convolutions load', async () => {
    const conv = await modelFromGraph(volumeOp('Conv', { weightDims: [2, 3, 3, 3, 3] }), { runtime: await testRuntime() });
    expect(conv.layers.find((l) => l.name === 'y')?.shape).toEqual([1, 2, 2, 6, 6]);
    conv.dispose();
    const up = await modelFromGraph(volumeOp('ConvTranspose', { weightDims: [3, 2, 2, 2, 2] }), { runtime: await testRuntime() });
    expect(up.layers.find((l) => l.name === 'y')?.shape).toEqual([1, 2, 5, 9, 9]);
    up.dispose();
  });
});

describe('ops that run on volumes', () => {
  it('BatchNormalization over [N, C, T, H, W]', async () => {
    const x = random(2 * 3 * 2 * 2 * 2, 4);
    const [scale, bias, mean, variance] = [
      [1, 2, 0.5],
      [0, 1, -1],
      [0.1, -0.2, 0.3],
      [1, 0.5, 2],
    ];
    const { model, feeds } = await singleOpModel(
      'BatchNormalization',
      [
        { shape: [2, 3, 2, 2, 2], data: x },
        ...[scale, bias, mean, variance].map((d) => ({ shape: [3], data: d, constant: true })),
      ],
      { epsilon: 1e-5 },
    );
    const y = await (await model.run(feeds)).read('out0');
    const want = Array.from(x, (v, i) => {
      const c = Math.floor(i / 8) % 3;
      return (scale[c] * (v - mean[c])) / Math.sqrt(variance[c] + 1e-5) + bias[c];
    });
    // float32 rsqrt and products: measured worst 3.2e-7.
    y.data.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-6));
    model.dispose();
  });
});
