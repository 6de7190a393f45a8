import { describe, expect, it } from 'vitest';
import { channelsFirst, isChannelsLast } from '../src/graph/channels-first.ts';
import type { Graph } from '../src/graph/ir.ts';
import { modelFromGraph } from '../src/model.ts';
import { testRuntime } from './gpu.ts';

/** x [1, 2, 3, 3] (NHWC) → Relu → y, with a node already named like the adapter's input. */
function nhwcGraph(): Graph {
  return {
    nodes: [
      { name: 'x_nchw', opType: 'Relu', domain: '', inputs: ['x'], outputs: ['r'], attributes: new Map() },
      { name: 'neg', opType: 'Neg', domain: '', inputs: ['r'], outputs: ['y'], attributes: new Map() },
    ],
    inputs: [{ name: 'x', dtype: 'float32', dims: [1, 2, 3, 3] }],
    outputs: [{ name: 'y', dtype: 'float32', dims: [1, 2, 3, 3] }],
    initializers: new Map(),
    opset: 17,
    source: 'nhwc-test',
  };
}

describe('channelsFirst', () => {
  it('feeds the model an NCHW input through a Transpose that is not a layer', async () => {
    const g = nhwcGraph();
    expect(isChannelsLast(g)).toBe(true);
    const model = await modelFromGraph(channelsFirst(g), { runtime: await testRuntime() });
    const input = model.imageInput();
    expect(input.name).toBe('x_nchw_2'); // 'x_nchw' is taken by a node
    expect(input.dims).toEqual([1, 3, 2, 3]);
    expect(model.layers.map((l) => l.name)).toEqual(['r', 'y']);
    // NCHW value v[c][h][w] = 100c + 10h + w - 50; the model sees x[h][w][c] = v[c][h][w]
    const data = Float32Array.from(
      { length: 18 },
      (_, i) => 100 * Math.floor(i / 6) + 10 * Math.floor((i % 6) / 3) + (i % 3) - 50,
    );
    const run = await model.run({ data, shape: [1, 3, 2, 3] });
    const y = (await run.read('y')).data;
    const expected = [];
    for (let h = 0; h < 2; h++)
      for (let w = 0; w < 3; w++) for (let c = 0; c < 3; c++) expected.push(-Math.max(0, 100 * c + 10 * h + w - 50));
    expect([...y]).toEqual(expected);
    run.dispose();
  });

  it('refuses a graph that is not channels-last', () => {
    const g = { ...nhwcGraph(), inputs: [{ name: 'x', dtype: 'float32' as const, dims: [1, 3, 8, 8] }] };
    expect(isChannelsLast(g)).toBe(false);
    expect(() => channelsFirst(g)).toThrow(/one \[N, H, W, 1 or 3\] input.*x \[1, 3, 8, 8\]/);
  });
});
