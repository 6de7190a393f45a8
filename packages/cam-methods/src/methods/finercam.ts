/**
 * FinerCAM (Zhang et al., CVPR 2025, arXiv:2501.11309), as pytorch-grad-cam's finer_cam.py: Grad-CAM
 * of a target that sets the chosen class m against its most similar classes — those whose logits
 * are nearest to z_m, at the ranks `comparison` (default [1, 2, 3]; rank 0 is m itself) — weighted
 * by their softmax probabilities (utils/model_targets.py FinerWeightedTarget, whose weights are
 * differentiated too): y = Σ_k p_k (z_m − α·z_k) / (Σ_k p_k + 1e-9), α = 1 by default.
 */
import { CamanimError, softmax, type CustomTarget, type Target } from '@camanim/core';
import type { ChannelMethod } from '../method.ts';
import { gradcam } from './gradcam.ts';

export interface FinerOptions {
  readonly alpha?: number;
  readonly comparison?: readonly number[];
}

/** FinerWeightedTarget for class m: the comparison classes are picked from each output row. */
export function finerTarget(m: number, { alpha = 1, comparison = [1, 2, 3] }: FinerOptions = {}): CustomTarget {
  return {
    describe: `FinerCAM: class ${m} against its nearest classes at ranks ${comparison.join(', ')} (alpha ${alpha})`,
    score(row) {
      const z = Array.from(row);
      const byNearness = z.map((_, j) => j).sort((i, j) => Math.abs(z[i] - z[m]) - Math.abs(z[j] - z[m]) || i - j);
      const ks = comparison.map((r) => byNearness[r]);
      if (ks.some((k) => k === undefined))
        throw new CamanimError(
          'bad-target',
          `FinerCAM compares with ranks ${comparison.join(', ')} but the model has ${z.length} classes`,
          {},
          'Pass comparison ranks below the class count',
        );
      const p = softmax(row);
      let num = 0;
      let den = 0;
      for (const k of ks) {
        num += p[k] * (z[m] - alpha * z[k]);
        den += p[k];
      }
      const d = den + 1e-9;
      // dN/dz_j and dD/dz_j, with dp_k/dz_j = p_k (δ_kj − p_j).
      const grad = new Float32Array(z.length);
      for (let j = 0; j < z.length; j++) {
        let dn = -p[j] * num;
        let dd = -p[j] * den;
        for (const k of ks) {
          if (k === j) {
            dn += p[k] * (z[m] - alpha * z[k]) - alpha * p[k];
            dd += p[k];
          }
          if (j === m) dn += p[k];
        }
        grad[j] = (dn * d - num * dd) / (d * d);
      }
      return { value: num / d, grad };
    },
  };
}

function finerTargets(t: Target | readonly Target[], options: Readonly<Record<string, unknown>>): Target | readonly Target[] {
  const one = (x: Target): Target => {
    if (!('class' in x) || (x.kind ?? 'logit') !== 'logit') {
      throw new CamanimError(
        'bad-target',
        'FinerCAM builds its own target from a class: give it a class logit target',
        {},
        'Pass { class } (CLI: --class, with --target logit)',
      );
    }
    return finerTarget(x.class, options as FinerOptions);
  };
  return Array.isArray(t) ? (t as Target[]).map(one) : one(t as Target);
}

export const finercam: ChannelMethod = {
  ...gradcam,
  id: 'finercam',
  title: 'FinerCAM',
  reference:
    'Zhang et al. 2025: Grad-CAM of sum_k p_k (z_c - alpha z_k) / sum_k p_k over the classes nearest to c (ranks 1..3, alpha 1)',
  derive: { base: gradcam, target: finerTargets },
};
