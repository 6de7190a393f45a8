/**
 * Video layers [N, C, T', h, w]: selected with their frames, a CAM per frame with channel
 * weights over T'·h·w (pytorch-grad-cam's 3-D Grad-CAM), element methods per position, maps
 * upsampled trilinearly (half-pixel, clamped) to the input's [T, H, W]; all against float64
 * host definitions over camanim's own activation and gradient (the gradients themselves are
 * held to torch.autograd by the r3d_18 parity fixture and the CLI's video test).
 * Graph: video [1, 2, 4, 6, 6] → Conv 3x3x3 stride 2 pad 1 → a [1, 3, 2, 3, 3] → Relu r →
 * GlobalAveragePool → Flatten → Gemm y [1, 4].
 */
import { describe, expect, it } from 'vitest';
import { modelFromGraph, type Graph, type HostTensor } from '@camanim/core';
import { computeCams } from '../src/compute.ts';
import { selectLayers } from '../src/layers.ts';
import { seeded, testRuntime } from './gpu.ts';

const node = (opType: string, inputs: string[], outputs: string[], attributes: [string, number | number[]][] = []) => ({
  name: `${opType}:${outputs[0]}`,
  opType,
  domain: '',
  inputs,
  outputs,
  attributes: new Map(attributes),
});
const tensor = (shape: number[], seed: number): HostTensor => ({
  dtype: 'float32',
  shape,
  data: seeded(
    shape.reduce((a, b) => a * b, 1),
    seed,
    -1,
    1,
  ),
});

const graph: Graph = {
  nodes: [
    node(
      'Conv',
      ['video', 'w', 'b'],
      ['a'],
      [
        ['strides', [2, 2, 2]],
        ['pads', [1, 1, 1, 1, 1, 1]],
      ],
    ),
    node('Relu', ['a'], ['r']),
    node('GlobalAveragePool', ['r'], ['p']),
    node('Flatten', ['p'], ['f']),
    node('Gemm', ['f', 'fc', 'fcb'], ['y'], [['transB', 1]]),
  ],
  inputs: [{ name: 'video', dtype: 'float32', dims: [1, 2, 4, 6, 6] }],
  outputs: [{ name: 'y', dtype: 'float32', dims: [1, 4] }],
  initializers: new Map([
    ['w', tensor([3, 2, 3, 3, 3], 2)],
    ['b', tensor([3], 3)],
    ['fc', tensor([4, 3], 4)],
    ['fcb', tensor([4], 5)],
  ]),
  opset: 17,
  source: 'video.onnx',
};
const INPUT = { data: seeded(2 * 4 * 36, 7, -1, 1), shape: [1, 2, 4, 6, 6] };
const [C, T1, H1, W1] = [3, 2, 3, 3];

/** Linear resize taps of one axis, half-pixel centres, clamped edges (torch's align_corners=False). */
function taps(src: number, dst: number): [number, number, number][] {
  return Array.from({ length: dst }, (_, o) => {
    const x = Math.min(Math.max((o + 0.5) * (src / dst) - 0.5, 0), src - 1);
    const i0 = Math.floor(x);
    return [i0, Math.min(i0 + 1, src - 1), x - i0];
  });
}

/** Trilinear resize of a [t, h, w] volume to [T, H, W], one axis after another. */
function trilinear(v: Float64Array, [t, h, w]: number[], [T, H, W]: number[]): Float64Array {
  const [tt, th, tw] = [taps(t, T), taps(h, H), taps(w, W)];
  const out = new Float64Array(T * H * W);
  const at = (a: number, b: number, c: number) => v[(a * h + b) * w + c];
  for (let a = 0; a < T; a++)
    for (let b = 0; b < H; b++)
      for (let c = 0; c < W; c++) {
        const plane = (z: number) => {
          const row = (y: number) => at(z, y, tw[c][0]) * (1 - tw[c][2]) + at(z, y, tw[c][1]) * tw[c][2];
          return row(th[b][0]) * (1 - th[b][2]) + row(th[b][1]) * th[b][2];
        };
        out[(a * H + b) * W + c] = plane(tt[a][0]) * (1 - tt[a][2]) + plane(tt[a][1]) * tt[a][2];
      }
  return out;
}

const worst = (got: ArrayLike<number>, want: ArrayLike<number>) => {
  const scale = Math.max(...Array.from(want, Math.abs));
  return Math.max(...Array.from(want, (v, i) => Math.abs(got[i] - v))) / scale;
};

describe('video layers', () => {
  it('are selected with their frames; a pooled [1, C, 1, 1, 1] is not a map', async () => {
    const model = await modelFromGraph(graph, { runtime: await testRuntime() });
    expect(selectLayers(model).map((l) => [l.name, l.shape, l.frames])).toEqual([
      ['a', [1, C, H1, W1], T1],
      ['r', [1, C, H1, W1], T1],
    ]);
    model.dispose();
  });

  it("are not an image model's 5-D reshapes: ShuffleNet's channel shuffle [N, g, C/g, H, W] has no frames", async () => {
    // image [1, 4, 3, 3] → Reshape [1, 2, 2, 3, 3] → Transpose (1 2) → Reshape back → Relu.
    const shuffle: Graph = {
      nodes: [
        node('Reshape', ['image', 'split'], ['g']),
        node('Transpose', ['g'], ['t'], [['perm', [0, 2, 1, 3, 4]]]),
        node('Reshape', ['t', 'merge'], ['m']),
        node('Relu', ['m'], ['y']),
      ],
      inputs: [{ name: 'image', dtype: 'float32', dims: [1, 4, 3, 3] }],
      outputs: [{ name: 'y', dtype: 'float32', dims: [1, 4, 3, 3] }],
      initializers: new Map([
        ['split', { dtype: 'int64', shape: [5], data: Float64Array.of(1, 2, 2, 3, 3) }],
        ['merge', { dtype: 'int64', shape: [4], data: Float64Array.of(1, 4, 3, 3) }],
      ]),
      opset: 17,
      source: 'shuffle.onnx',
    };
    const model = await modelFromGraph(shuffle, { runtime: await testRuntime() });
    expect(selectLayers(model).map((l) => [l.name, l.shape, l.frames])).toEqual([
      ['m', [1, 4, 3, 3], undefined],
      ['y', [1, 4, 3, 3], undefined],
    ]);
    model.dispose();
  });

  it("Grad-CAM weighs channels over T'·h·w and HiResCAM sums per position, a map per frame, upsampled to [T, H, W]", async () => {
    const model = await modelFromGraph(graph, { runtime: await testRuntime() });
    const run = await model.run(INPUT);
    const target = { class: 2 };
    const grads = await run.backward(target, { layers: ['r'] });
    const a = (await run.read('r')).data;
    const g = (await grads.read('r')).data;
    grads.dispose();
    const n = T1 * H1 * W1;
    const weights = Array.from({ length: C }, (_, c) => g.slice(c * n, (c + 1) * n).reduce((s, v) => s + v, 0) / n);
    const gradcam = Float64Array.from({ length: n }, (_, p) => weights.reduce((s, w, c) => s + w * a[c * n + p], 0));
    const hires = Float64Array.from({ length: n }, (_, p) => weights.reduce((s, _w, c) => s + g[c * n + p] * a[c * n + p], 0));
    for (const [method, want] of [
      ['gradcam', gradcam],
      ['hirescam', hires],
    ] as const) {
      const stack = await computeCams(run, { method, target, layers: ['r'] });
      const [layer] = stack.layers;
      expect(layer.frames).toBe(T1);
      expect(stack.inputShape).toEqual([1, 2, 4, 6, 6]);
      expect(layer.raw.length).toBe(n);
      // float32 sums of 3 channels against float64 over the same float32 tensors: measured ≤ 7.7e-8.
      expect(worst(layer.raw, want), `${method} raw`).toBeLessThan(1e-6);
      expect(layer.upsampled.length).toBe(4 * 6 * 6);
      // Two float32 bilinear passes against float64 trilinear: measured ≤ 1.1e-7 (weights 6.4e-8).
      expect(worst(layer.upsampled, trilinear(want, [T1, H1, W1], [4, 6, 6])), `${method} upsampled`).toBeLessThan(1e-6);
      if (method === 'gradcam') expect(worst(layer.weights!, weights), 'weights').toBeLessThan(1e-6);
    }
    run.dispose();
    model.dispose();
  });

  it('methods that compute maps from the layer, and augmentation smoothing, are refused naming the layer or input', async () => {
    const model = await modelFromGraph(graph, { runtime: await testRuntime() });
    const run = await model.run(INPUT);
    await expect(computeCams(run, { method: 'scorecam', target: { class: 0 }, layers: ['r'] })).rejects.toThrow(
      /CAM method 'scorecam' computes its maps from the layer itself, which video and volume layers/,
    );
    await expect(computeCams(run, { method: 'gradcam', target: { class: 0 }, layers: ['r'], augSmooth: true })).rejects.toThrow(
      /Augmentation smoothing is not supported for video and volume inputs \[1, 2, 4, 6, 6\]/,
    );
    run.dispose();
    model.dispose();
  });
});
