import { describe, expect, it } from 'vitest';
import { imputeBatch } from '../src/metrics/imputation.ts';
import { exactImpute } from './exact-impute.ts';
import { seeded, testRuntime } from './gpu.ts';

describe('noisy linear imputation', () => {
  const [b, c, h, w] = [2, 3, 14, 11];
  const img = seeded(b * c * h * w, 5, -1, 1);
  // A blob and scattered pixels removed: ~45% of each image.
  const masks = Float32Array.from({ length: b * h * w }, (_, i) => {
    const p = i % (h * w);
    const y = Math.floor(p / w);
    const x = p % w;
    return (y - 6) ** 2 + (x - 5) ** 2 < 14 || (p * 7 + Math.floor(i / (h * w))) % 5 === 0 ? 1 : 0;
  });

  it('matches an exact float64 sparse solve with noise 0', async () => {
    const rt = await testRuntime();
    const images = rt.upload(img, [b, c, h, w]);
    const r = await imputeBatch(rt, images, masks, { noise: 0, tolerance: 1e-6 });
    const got = (await rt.read(r.image)).data;
    expect(r.residual).toBeLessThanOrEqual(1e-6);
    for (let k = 0; k < b; k++) {
      for (let ch = 0; ch < c; ch++) {
        const off = (k * c + ch) * h * w;
        const want = exactImpute(img.subarray(off, off + h * w), masks.subarray(k * h * w, (k + 1) * h * w), h, w);
        for (let p = 0; p < h * w; p++) expect(Math.abs(got[off + p] - want[p])).toBeLessThan(1e-4);
      }
    }
    rt.release(images);
    rt.release(r.image);
  });

  it('keeps unremoved pixels, adds seeded noise that repeats', async () => {
    const rt = await testRuntime();
    const images = rt.upload(img, [b, c, h, w]);
    const read = async (seed: number) => {
      const r = await imputeBatch(rt, images, masks, { noise: 0.1, seed });
      const d = (await rt.read(r.image)).data;
      rt.release(r.image);
      return d;
    };
    const [a1, a2, other] = [await read(7), await read(7), await read(8)];
    expect(Array.from(a1)).toEqual(Array.from(a2));
    let diff = 0;
    for (let i = 0; i < img.length; i++) {
      const removed = masks[Math.floor(i / (c * h * w)) * h * w + (i % (h * w))] > 0.5;
      if (!removed) expect(a1[i]).toBe(img[i]);
      else diff = Math.max(diff, Math.abs(a1[i] - other[i]));
    }
    expect(diff).toBeGreaterThan(0.01);
    rt.release(images);
  });

  it("a mask that removes everything gives the zero image (pytorch-grad-cam's spsolve does too)", async () => {
    const rt = await testRuntime();
    const images = rt.upload(img.subarray(0, c * h * w), [1, c, h, w]);
    const r = await imputeBatch(rt, images, new Float32Array(h * w).fill(1));
    expect(Array.from((await rt.read(r.image)).data).every((v) => v === 0)).toBe(true);
    rt.release(r.image);
    rt.release(images);
  });
});
