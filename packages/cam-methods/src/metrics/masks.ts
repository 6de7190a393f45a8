/**
 * Removal masks by percentile of a CAM (at input resolution), under two tie rules:
 *
 * - `threshold` (pytorch-grad-cam's, metrics/perturbation_confidence.py RemoveMostRelevantFirst /
 *   RemoveLeastRelevantFirst): t = np.percentile(cam, q) with numpy's default 'linear'
 *   interpolation, and every pixel with cam ≥ t is removed (the imputer keeps `cam < t`), so tied
 *   pixels always go together. LeRF thresholds 1 − cam the same way. The CAM is float32 (as the
 *   library's maps), 1 − cam is rounded to float32, t is computed in float64 from float32 values
 *   (numpy's `_lerp`) and compared in float32 (torch compares a float32 tensor with a float scalar
 *   in float32).
 * - `rank` (exact count): exactly round(share·HW) pixels are removed, ranked by value, ties broken
 *   by pixel index (lower index first) so masks never depend on sort stability.
 *
 * The percentile p reads as the share `removed` (the ROAD paper, camanim before) or `kept`
 * (pytorch-grad-cam: ROADMostRelevantFirst(percentile=80) keeps the 80% least relevant pixels).
 */
import { CamanimError } from '@camanim/core';

export type Order = 'morf' | 'lerf';
export type TieRule = 'threshold' | 'rank';
export type PercentReading = 'kept' | 'removed';

export function checkPercentiles(percentiles: readonly number[]): void {
  for (const p of percentiles) {
    if (!(p > 0 && p < 100))
      throw new CamanimError(
        'bad-input',
        `ROAD percentile ${p} is outside (0, 100)`,
        {},
        'Use percentages strictly between 0 and 100, e.g. 20,40,60,80',
      );
  }
}

/** A CAM prepared for masking: float32 values, their ranking, and the sorted values of cam and 1 − cam. */
export interface PreparedCam {
  readonly values: Float32Array;
  /** Pixel indices most relevant first (value descending, then index ascending). */
  readonly ranked: Uint32Array;
  /** fround(1 − cam), what pytorch-grad-cam's LeRF thresholds. */
  readonly flipped: Float32Array;
  readonly sortedValues: Float32Array;
  readonly sortedFlipped: Float32Array;
}

export function prepareCam(cam: ArrayLike<number>, layer = ''): PreparedCam {
  const values = Float32Array.from(cam);
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (!(hi > lo)) {
    throw new CamanimError(
      'bad-input',
      'The CAM is constant, so no pixel is more relevant than another and ROAD is undefined',
      { layer },
      'Pick another layer or method',
    );
  }
  const flipped = values.map((v) => 1 - v);
  return {
    values,
    ranked: rankPixels(values),
    flipped,
    sortedValues: values.slice().sort(),
    sortedFlipped: flipped.slice().sort(),
  };
}

/** Pixel indices ranked most relevant first (value descending, then index ascending). */
export function rankPixels(cam: ArrayLike<number>): Uint32Array {
  const idx = Uint32Array.from({ length: cam.length }, (_, i) => i);
  return idx.sort((a, b) => cam[b] - cam[a] || a - b);
}

/**
 * np.percentile(values, q) with numpy's default method='linear' (numpy/lib/function_base.py
 * `_quantile`, `_lerp`): virtual index (n − 1)·q/100, interpolated between its floor and the next
 * value; from the upper value when the weight is ≥ 0.5, as `_lerp` does. sorted: ascending.
 */
export function percentileLinear(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  const v = (n - 1) * (q / 100);
  const i = Math.floor(v);
  const j = Math.min(i + 1, n - 1);
  const g = v - i;
  const a = sorted[i];
  const d = sorted[j] - a;
  return g < 0.5 ? a + d * g : sorted[j] - d * (1 - g);
}

/** A [HW] mask with 1 on the removed pixels. */
export function removalMask(
  cam: PreparedCam,
  order: Order,
  percentile: number,
  ties: TieRule = 'threshold',
  percent: PercentReading = 'kept',
): Float32Array {
  const n = cam.values.length;
  const removed = percent === 'removed' ? percentile : 100 - percentile;
  const kept = percent === 'kept' ? percentile : 100 - percentile;
  const mask = new Float32Array(n);
  if (ties === 'rank') {
    const k = Math.round((removed / 100) * n);
    for (let j = 0; j < k; j++) mask[order === 'morf' ? cam.ranked[j] : cam.ranked[n - 1 - j]] = 1;
    return mask;
  }
  // pytorch-grad-cam keeps the pixels below the q-th percentile, q the share kept.
  const [values, sorted] = order === 'morf' ? [cam.values, cam.sortedValues] : [cam.flipped, cam.sortedFlipped];
  const t = Math.fround(percentileLinear(sorted, kept));
  for (let i = 0; i < n; i++) if (values[i] >= t) mask[i] = 1;
  return mask;
}

/** Share of pixels a mask removes. */
export function removedShare(mask: Float32Array): number {
  let k = 0;
  for (const v of mask) k += v;
  return k / mask.length;
}
