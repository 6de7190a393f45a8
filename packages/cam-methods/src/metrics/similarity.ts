/**
 * The two similarities Quantus's MPRT offers (quantus/functions/similarity_func.py), in float64:
 *
 * - `ssim`: skimage.metrics.structural_similarity(a, b, win_size=None, data_range=R) with
 *   Quantus's R = max − min over both maps: 7×7 uniform windows, K1 0.01, K2 0.03, sample
 *   covariances (×49/48), the SSIM map averaged over the windows that lie inside the image
 *   (skimage crops (7 − 1)/2 pixels per side, where its reflected edges would be).
 * - `spearman`: scipy.stats.spearmanr — the Pearson correlation of the average ranks (ties share
 *   the mean of their ranks).
 *
 * Both are NaN where the libraries' are (a constant map for Spearman; two equal constant maps for
 * SSIM, where R = 0).
 */
import { CamanimError } from '@camanim/core';

const WIN = 7;

/** skimage's SSIM of two maps [H·W] with Quantus's data range. */
export function ssim(a: ArrayLike<number>, b: ArrayLike<number>, H: number, W: number): number {
  if (H < WIN || W < WIN || a.length !== H * W || b.length !== H * W) {
    throw new CamanimError(
      'bad-input',
      `SSIM needs two ${H}x${W} maps of at least ${WIN}x${WIN} pixels (got ${a.length} and ${b.length} values)`,
      {},
      'Compare maps at the input size',
    );
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < a.length; i++) {
    lo = Math.min(lo, a[i], b[i]);
    hi = Math.max(hi, a[i], b[i]);
  }
  const R = hi - lo;
  const c1 = (0.01 * R) ** 2;
  const c2 = (0.03 * R) ** 2;
  const np = WIN * WIN;
  const norm = np / (np - 1);
  let total = 0;
  for (let y = 0; y + WIN <= H; y++) {
    for (let x = 0; x + WIN <= W; x++) {
      let sa = 0;
      let sb = 0;
      let saa = 0;
      let sbb = 0;
      let sab = 0;
      for (let i = 0; i < WIN; i++) {
        for (let j = 0; j < WIN; j++) {
          const p = (y + i) * W + x + j;
          sa += a[p];
          sb += b[p];
          saa += a[p] * a[p];
          sbb += b[p] * b[p];
          sab += a[p] * b[p];
        }
      }
      const ux = sa / np;
      const uy = sb / np;
      const vx = norm * (saa / np - ux * ux);
      const vy = norm * (sbb / np - uy * uy);
      const vxy = norm * (sab / np - ux * uy);
      total += ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
    }
  }
  return total / ((H - WIN + 1) * (W - WIN + 1));
}

/** Average ranks (1-based), as scipy.stats.rankdata(method='average'). */
export function averageRanks(v: ArrayLike<number>): Float64Array {
  const idx = Array.from({ length: v.length }, (_, i) => i).sort((p, q) => v[p] - v[q]);
  const ranks = new Float64Array(v.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && v[idx[j + 1]] === v[idx[i]]) j++;
    for (let k = i; k <= j; k++) ranks[idx[k]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return ranks;
}

/** scipy.stats.spearmanr(a, b).correlation. */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length)
    throw new CamanimError(
      'bad-input',
      `Spearman needs two maps of the same size (got ${a.length} and ${b.length} values)`,
      {},
      'Compare maps at the input size',
    );
  const ra = averageRanks(a);
  const rb = averageRanks(b);
  const mean = (ra.length + 1) / 2;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < ra.length; i++) {
    sab += (ra[i] - mean) * (rb[i] - mean);
    saa += (ra[i] - mean) ** 2;
    sbb += (rb[i] - mean) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}
