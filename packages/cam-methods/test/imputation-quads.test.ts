/**
 * The imputation's four-pixels-an-invocation kernels (shaders' quads.ts) against the one-pixel
 * kernels they replace where rows are whole vec4s: every output the same bit for bit (+0 and −0
 * alike), on vectors that vanish on kept pixels, over a grid with an odd height and image edges
 * on every side, two images of three channels.
 */
import {
  cgDirectionKernel,
  chunkDotKernel,
  DOT_CHUNK,
  cgStepKernel,
  coarsen,
  imputeMatvecKernel,
  mgPreKernel,
  mgProlongKernel,
  mgRestrictKernel,
  mgSmoothKernel,
  type ImputeDims,
  type KernelSpec,
} from '@camanim/shaders';
import { describe, expect, it } from 'vitest';
import { seeded, testRuntime } from './gpu.ts';

const d: ImputeDims = { b: 2, c: 3, h: 13, w: 16 };
const c = coarsen(d);
const plane = (g: ImputeDims) => g.h * g.w;
const maskOf = (g: ImputeDims, seed: number) => seeded(g.b * plane(g), seed).map((v) => (v < 0.6 ? 1 : 0));
const [mask, coarseMask] = [maskOf(d, 1), maskOf(c, 2)];
/** Values in [-1, 1) on removed pixels, 0 on kept ones. */
const vector = (g: ImputeDims, m: Float32Array, seed: number) =>
  seeded(g.b * g.c * plane(g), seed, -1, 1).map((v, i) => v * m[Math.floor(i / (g.c * plane(g))) * plane(g) + (i % plane(g))]);
const systems = d.b * d.c;
const perSystem = (seed: number) => seeded(systems, seed, 0.5, 2);

/** Runs `kernel` on copies of `inputs` (read-only first, then the outputs' initial values) and returns the outputs. */
async function outputs(kernel: KernelSpec, inputs: readonly Float32Array[]): Promise<Float32Array[]> {
  const rt = await testRuntime();
  const tensors = inputs.map((v, k) => rt.upload(v, [v.length], `in${k}`));
  await rt.run([{ kernel, buffers: tensors.map((t) => t.buffer) }], kernel.name);
  const out = await Promise.all(tensors.slice(kernel.inputs).map(async (t) => (await rt.read(t)).data));
  for (const t of tensors) rt.release(t);
  return out;
}

const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => v === b[i]);

describe('imputation kernels, four pixels an invocation', () => {
  const r = vector(d, mask, 3);
  const x = vector(d, mask, 4);
  const zero = new Float32Array(r.length);
  const cases: [string, (quads: boolean) => KernelSpec, Float32Array[]][] = [
    ['matvec', (q) => imputeMatvecKernel(d, q), [mask, r, zero]],
    ['dot chunks', (q) => chunkDotKernel(d, q), [r, x, new Float32Array(systems * Math.ceil(plane(d) / DOT_CHUNK))]],
    [
      'cg step',
      (q) => cgStepKernel(d, q),
      [
        r,
        x,
        perSystem(5),
        perSystem(6),
        Float32Array.from({ length: systems }, (_, s) => (s === 2 ? 0 : 1)),
        vector(d, mask, 7),
        vector(d, mask, 8),
      ],
    ],
    ['cg direction', (q) => cgDirectionKernel(d, q), [r, perSystem(9), perSystem(10), x]],
    ['V-cycle pre-smoothing', (q) => mgPreKernel(d, 0.8, q), [mask, r, zero, zero]],
    ['V-cycle smoothing', (q) => mgSmoothKernel(d, 0.8, q), [mask, r, x, zero]],
    ['restriction', (q) => mgRestrictKernel(d, q), [r, coarseMask, new Float32Array(c.b * c.c * plane(c))]],
    ['prolongation', (q) => mgProlongKernel(d, 1.5, q), [mask, vector(c, coarseMask, 11), x]],
  ];
  for (const [name, kernel, inputs] of cases) {
    it(`${name}: the same outputs as one pixel an invocation`, async () => {
      const [quad, one] = [kernel(true), kernel(false)];
      expect(quad.name).toMatch(/ quads$/);
      expect(quad.wgsl).toContain('vec4<f32>');
      const [a, b] = [await outputs(quad, inputs), await outputs(one, inputs)];
      expect(a.length).toBe(b.length);
      a.forEach((out, k) => {
        expect(out.some((v) => v !== 0)).toBe(true);
        expect(same(out, b[k])).toBe(true);
      });
    });
  }
});
