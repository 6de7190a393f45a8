/**
 * Layer reading by layout: a channels-last 4-D tensor is a map with its channel axis last, and
 * token layers find their grid there too (Swin's stages are channels-last: no NCHW tensor has
 * their grid). A two-op graph: x [1, 3, 8, 4] → Transpose (0, 2, 3, 1) → Reshape [1, 32, 3] → Relu.
 */
import { describe, expect, it } from 'vitest';
import { modelFromGraph, type Graph, type HostTensor } from '@camanim/core';
import { selectLayers } from '../src/layers.ts';
import { testRuntime } from './gpu.ts';

const node = (opType: string, inputs: string[], outputs: string[], attributes: [string, number[]][] = []) => ({
  name: `${opType}:${outputs[0]}`,
  opType,
  domain: '',
  inputs,
  outputs,
  attributes: new Map(attributes),
});
const shape: HostTensor = { dtype: 'int64', shape: [3], data: Float64Array.from([1, 32, 3]) };

describe('layers by layout', () => {
  it('reads a channels-last tensor as [N, C, H, W] and lays its tokens on its H×W grid', async () => {
    const graph: Graph = {
      nodes: [
        node('Transpose', ['x'], ['nhwc'], [['perm', [0, 2, 3, 1]]]),
        node('Reshape', ['nhwc', 'shape'], ['tokens']),
        node('Relu', ['tokens'], ['y']),
      ],
      inputs: [{ name: 'x', dtype: 'float32', dims: [1, 3, 8, 4] }],
      outputs: [{ name: 'y', dtype: 'float32', dims: [1, 32, 3] }],
      initializers: new Map([['shape', shape]]),
      opset: 17,
      source: 'layouts.onnx',
    };
    const model = await modelFromGraph(graph, { runtime: await testRuntime() });
    const layers = selectLayers(model);
    expect(layers.map((l) => [l.name, l.shape, l.tokens])).toEqual([
      ['nhwc', [1, 3, 8, 4], { count: 32, prefix: 0 }],
      ['tokens', [1, 3, 8, 4], { count: 32, prefix: 0 }],
      ['y', [1, 3, 8, 4], { count: 32, prefix: 0 }],
    ]);
    model.dispose();
  });
});
