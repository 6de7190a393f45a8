/** The input contract's layout rules on graphs whose dims leave the channel axis open to doubt. */
import { describe, expect, it } from 'vitest';
import { adaptInput } from '../src/contract/apply.ts';
import { resolveInputContract } from '../src/contract/input-contract.ts';
import type { Graph } from '../src/graph/ir.ts';

const graph = (dims: (number | string)[]): Graph => ({
  nodes: [{ name: 'relu', opType: 'Relu', domain: '', inputs: ['x'], outputs: ['y'], attributes: new Map() }],
  inputs: [{ name: 'x', dtype: 'float32', dims }],
  outputs: [{ name: 'y', dtype: 'float32', dims }],
  initializers: new Map(),
  opset: 17,
  source: 'contract.onnx',
});

describe('input layout', () => {
  it('reads [N, 3, H, 3] as NCHW by itself, and as NHWC when a flag says so (the adapter in front)', () => {
    const g = graph(['n', 3, 8, 3]);
    const norm = { from: '--mean/--std', request: { mean: [0.5], std: [0.5] } };
    expect(resolveInputContract(g, [norm]).layout).toBe('NCHW');
    const nhwc = resolveInputContract(g, [{ from: '--layout', request: { layout: 'NHWC' } }, norm]);
    expect([nhwc.layout, nhwc.size, nhwc.sources.layout]).toEqual(['NHWC', [3, 8], '--layout']);
    const adapted = adaptInput(g, nhwc);
    expect(adapted.shape).toEqual([1, 3, 3, 8]);
    expect(adapted.graph.inputs[0].dims).toEqual(['n', 3, 3, 8]);
    expect(adapted.graph.nodes[0]).toMatchObject({ opType: 'Transpose', outputs: ['x'] });
    expect(adapted.graph.adapters?.has(adapted.graph.nodes[0].name)).toBe(true);
  });

  it('refuses a layout the dims contradict, naming the flag', () => {
    expect(() => resolveInputContract(graph(['n', 3, 8, 8]), [{ from: '--layout', request: { layout: 'NHWC' } }])).toThrow(/--layout says NHWC, but input 'x' \[n, 3, 8, 8\] has 8 channels on that axis/);
  });
});
