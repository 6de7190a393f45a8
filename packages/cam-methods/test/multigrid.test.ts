import { describe, expect, it } from 'vitest';
import { imputeBatch } from '../src/metrics/imputation.ts';
import { vcycle } from '../src/metrics/multigrid.ts';
import { plainCgIterations } from './exact-impute.ts';
import { seeded, testRuntime } from './gpu.ts';

/** A disc of radius `radius` removed from an h×w image, plus every 7th pixel scattered. */
function blobMask(h: number, w: number, radius: number): Float32Array {
  return Float32Array.from({ length: h * w }, (_, p) => {
    const [y, x] = [Math.floor(p / w), p % w];
    return (y - h / 2) ** 2 + (x - w / 2) ** 2 < radius ** 2 || p % 7 === 0 ? 1 : 0;
  });
}

describe('multigrid V-cycle preconditioner', () => {
  it('is symmetric positive definite on vectors that vanish on kept pixels', async () => {
    const rt = await testRuntime();
    const [h, w] = [23, 18];
    const mask = blobMask(h, w, 7);
    const d = { b: 1, c: 2, h, w };
    const vec = (seed: number) => seeded(2 * h * w, seed, -1, 1).map((v, i) => v * mask[i % (h * w)]);
    const apply = async (v: Float32Array) => {
      const r = rt.upload(v, [v.length]);
      const z = rt.createTensor([v.length]);
      const m = rt.upload(mask, [1, h * w]);
      const pc = vcycle(rt, d, mask, m, r, z);
      await rt.run(pc.apply, 'test:vcycle');
      const out = (await rt.read(z)).data;
      pc.release();
      [r, z, m].forEach((t) => rt.release(t));
      return out;
    };
    const dot = (u: Float32Array, v: Float32Array) => u.reduce((s, x, i) => s + x * v[i], 0);
    const [x, y] = [vec(1), vec(2)];
    const [mx, my] = [await apply(x), await apply(y)];
    const [xmy, ymx] = [dot(x, my), dot(y, mx)];
    expect(Math.abs(xmy - ymx)).toBeLessThan(1e-5 * Math.abs(xmy) + 1e-6);
    expect(Math.abs(xmy)).toBeGreaterThan(1e-3);
    expect(dot(x, mx)).toBeGreaterThan(0);
    expect(dot(y, my)).toBeGreaterThan(0);
    mx.forEach((v, i) => mask[i % (h * w)] < 0.5 && expect(v).toBe(0));
  });

  it('cuts CG iterations on a large removed blob', async () => {
    const rt = await testRuntime();
    const [h, w] = [48, 48];
    const mask = blobMask(h, w, 18);
    const img = seeded(h * w, 3, -1, 1);
    const plain = plainCgIterations(img, mask, h, w, 1e-5);
    const images = rt.upload(img, [1, 1, h, w]);
    const r = await imputeBatch(rt, images, mask, { noise: 0, tolerance: 1e-5 });
    expect(r.residual).toBeLessThanOrEqual(1e-5);
    expect(plain).toBeGreaterThan(40);
    expect(r.iterations * 4).toBeLessThanOrEqual(plain);
    [images, r.image].forEach((t) => rt.release(t));
  });
});
