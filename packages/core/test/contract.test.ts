/**
 * The input contract's layout rules on graphs whose dims leave the channel axis open to doubt, and
 * video inputs [N, C, T, H, W]: T from the model's fixed dim or from --frames where it is symbolic,
 * never guessed; the plane from the last two axes; frames stacked channel by channel into [C, T, H, W].
 */
import { describe, expect, it } from 'vitest';
import { adaptInput } from '../src/contract/apply.ts';
import { stackFrames } from '../src/contract/frames.ts';
import { parseSidecar } from '../src/contract/sidecar.ts';
import { resolveInputContract, symbolicSize } from '../src/contract/input-contract.ts';
import { describeInput, describeSources } from '../src/contract/model-contract.ts';
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
    expect(() => resolveInputContract(graph(['n', 3, 8, 8]), [{ from: '--layout', request: { layout: 'NHWC' } }])).toThrow(
      /--layout says NHWC, but input 'x' \[n, 3, 8, 8\] has 8 channels on that axis/,
    );
  });
});

const norm = { from: '--mean/--std', request: { mean: [0.45], std: [0.225] } };
const frames = (n: number) => ({ from: '--frames', request: { frames: n } });

describe('video input contract', () => {
  it('takes T, H and W from a fixed [N, 3, 8, 112, 112] input, the input shape 5-D', () => {
    const c = resolveInputContract(graph(['n', 3, 8, 112, 112]), [norm]);
    expect([c.frames, c.size, c.layout]).toEqual([{ count: 8, from: 'model graph' }, [112, 112], 'NCHW']);
    expect(adaptInput(graph(['n', 3, 8, 112, 112]), c).shape).toEqual([1, 3, 8, 112, 112]);
    expect(describeInput(c)).toMatch(/^8 frames of 112×112 NCTHW RGB/);
    expect(describeSources(c)).toContain('frames: model graph');
  });

  it('refuses a symbolic T without --frames, naming the flag, and takes it from --frames', () => {
    const g = graph(['n', 3, 't', 112, 112]);
    expect(() => resolveInputContract(g, [norm])).toThrow(
      /input 'x' \[n, 3, t, 112, 112\] leaves its frame count 't' symbolic and nothing gives it/,
    );
    expect(() => resolveInputContract(g, [norm])).toThrow(
      expect.objectContaining({ hint: expect.stringContaining('--frames T') }),
    );
    expect(resolveInputContract(g, [frames(16), norm]).frames).toEqual({ count: 16, from: '--frames' });
    const sidecar = parseSidecar('{"preprocess": {"frames": 32, "mean": [0.45], "std": [0.225]}}', 'r3d.json');
    expect(resolveInputContract(g, [{ from: 'model JSON r3d.json', request: sidecar.input }]).frames).toEqual({
      count: 32,
      from: 'model JSON r3d.json',
    });
    expect(() => parseSidecar('{"preprocess": {"frames": "8"}}', 'r3d.json')).toThrow(/preprocess\.frames/);
    expect(symbolicSize(g)).toBe(false);
    expect(symbolicSize(graph([1, 3, 8, 'h', 'w']))).toBe(true);
  });

  it('refuses --frames against a fixed T, on an image model, or not a count; and a channels-last video', () => {
    expect(() => resolveInputContract(graph([1, 3, 8, 112, 112]), [frames(16), norm])).toThrow(
      /--frames asks for 16 frames, but the model's input 'x' \[1, 3, 8, 112, 112\] is fixed at 8/,
    );
    expect(() => resolveInputContract(graph([1, 3, 32, 32]), [frames(8), norm])).toThrow(
      /--frames gives 8 frames, but input 'x' \[1, 3, 32, 32\] is an image/,
    );
    expect(() => resolveInputContract(graph([1, 3, 't', 8, 8]), [frames(0), norm])).toThrow(
      /--frames: frames 0 is not an integer in 1..4096/,
    );
    expect(() => resolveInputContract(graph([1, 8, 112, 112, 3]), [norm])).toThrow(/has no channel axis of size 1 or 3/);
    expect(() => resolveInputContract(graph([1, 3, 8, 3, 8]), [{ from: '--layout', request: { layout: 'NHWC' } }, norm])).toThrow(
      /camanim reads video inputs channels-first \[N, C, T, H, W\], not NHWC/,
    );
  });

  it('stacks per-frame [C, H, W] tensors into [C, T, H, W]', () => {
    // 2 channels, 3 frames, 2 pixels: frame t, channel c, pixel p holds 100t + 10c + p.
    const f = [0, 1, 2].map((t) => Float32Array.from([0, 1, 10, 11], (v) => v + 100 * t));
    expect(Array.from(stackFrames(f, 2))).toEqual([0, 1, 100, 101, 200, 201, 10, 11, 110, 111, 210, 211]);
  });
});
