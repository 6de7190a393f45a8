/**
 * Removal masks by percentile of a CAM (at input resolution): MoRF removes the p% most relevant
 * pixels, LeRF the p% least relevant. Exactly round(p·HW/100) pixels are removed; ties are
 * broken by pixel index (lower index first) so masks never depend on sort stability.
 */
import { CamanimError } from '@camanim/core';

export type Order = 'morf' | 'lerf';

export function checkPercentiles(percentiles: readonly number[]): void {
  for (const p of percentiles) {
    if (!(p > 0 && p < 100)) throw new CamanimError('bad-input', `ROAD percentile ${p} is outside (0, 100)`, {}, 'Use percentages of pixels to remove, e.g. 20,40,60,80');
  }
}

/** Pixel indices ranked most relevant first (value descending, then index ascending). */
export function rankPixels(cam: ArrayLike<number>, layer = ''): Uint32Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < cam.length; i++) {
    lo = Math.min(lo, cam[i]);
    hi = Math.max(hi, cam[i]);
  }
  if (!(hi > lo)) {
    throw new CamanimError('bad-input', 'The CAM is constant, so no pixel is more relevant than another and ROAD is undefined', { layer }, 'Pick another layer or method');
  }
  const idx = Uint32Array.from({ length: cam.length }, (_, i) => i);
  return idx.sort((a, b) => cam[b] - cam[a] || a - b);
}

/** A [HW] mask with 1 on the removed pixels. */
export function removalMask(ranked: Uint32Array, order: Order, percentile: number): Float32Array {
  const n = ranked.length;
  const k = Math.round((percentile / 100) * n);
  const mask = new Float32Array(n);
  for (let j = 0; j < k; j++) mask[order === 'morf' ? ranked[j] : ranked[n - 1 - j]] = 1;
  return mask;
}
