/**
 * The CAM kernels' four-pixels-an-invocation variants (where a layer's plane is whole vec4s)
 * against the one-pixel kernels: per-channel reductions (GradCAM's mean, Grad-CAM++'s weights
 * over a sum), the weighted and element-wise channel sums and the bilinear upsampling give the
 * same outputs bit for bit, on two images of a 5-channel 6×8 layer.
 */
import { bilinearKernel, channelReduceKernel, elementSumKernel, weightedSumKernel, type KernelSpec } from '@camanim/shaders';
import { describe, expect, it } from 'vitest';
import { seeded, testRuntime } from './gpu.ts';

const d = { n: 2, c: 5, hw: 48 };
const [a, g] = [seeded(d.n * d.c * d.hw, 1, -1, 2), seeded(d.n * d.c * d.hw, 2, -1, 1)];
const perChannel = seeded(d.n * d.c, 3, 0.5, 4);

/** The kernel's output over `inputs` (bound in order, then the output of `size` values). */
async function output(kernel: KernelSpec, inputs: readonly Float32Array[], size: number): Promise<number[]> {
  const rt = await testRuntime();
  const tensors = [...inputs.map((v) => rt.upload(v, [v.length])), rt.createTensor([size])];
  await rt.run([{ kernel, buffers: tensors.map((t) => t.buffer) }], kernel.name);
  const out = Array.from((await rt.read(tensors.at(-1)!)).data);
  for (const t of tensors) rt.release(t);
  return out;
}

describe('CAM kernels, four pixels an invocation', () => {
  const cases: [string, (quads: boolean) => KernelSpec, Float32Array[], number][] = [
    ['channel mean of g (GradCAM)', (q) => channelReduceKernel(d, 'g', 'mean', 0, q), [a, g], d.n * d.c],
    [
      "Grad-CAM++'s weights over a per-channel sum",
      (q) =>
        channelReduceKernel(d, 'select(0.0, max(g, 0.0) * g * g / (2.0 * g * g + s0 * g * g * g + 1e-7), g != 0.0)', 'sum', 1, q),
      [a, g, perChannel],
      d.n * d.c,
    ],
    ['weighted channel sum', (q) => weightedSumKernel(d, q), [a, perChannel], d.n * d.hw],
    ['element-wise channel sum (LayerCAM)', (q) => elementSumKernel(d, 'max(g, 0.0) * a', q), [a, g], d.n * d.hw],
    ['bilinear 6×8 → 9×20', (q) => bilinearKernel(d.n * d.c, 6, 8, 9, 20, q), [a], d.n * d.c * 9 * 20],
  ];
  for (const [name, kernel, inputs, size] of cases) {
    it(`${name}: the same outputs as one pixel an invocation`, async () => {
      const [quad, one] = [kernel(true), kernel(false)];
      expect(quad.name).toMatch(/ quads$/);
      const [x, y] = [await output(quad, inputs, size), await output(one, inputs, size)];
      expect(new Set(x).size).toBeGreaterThan(size / 2);
      expect(x).toEqual(y);
    });
  }
});
