/**
 * FEM, the Feature Explanation Method (Fuad et al., IPTA 2020, hal-02963298), as pytorch-grad-cam's
 * fem.py: per channel the k-sigma threshold t_c = mean(A_c) + k·std(A_c) (population std, k = 2),
 * w_c = the share of A_c's positions above t_c, CAM = Σ_c w_c·A_c. No gradients. The statistics
 * are float64 here; the comparison is in float32, as numpy compares a float32 array with its
 * float32 threshold.
 */
import { CamanimError } from '@camanim/core';
import type { CustomMethod } from '../method.ts';

export const fem: CustomMethod = {
  id: 'fem',
  title: 'FEM',
  reference: 'Fuad et al. 2020: w_c = mean_ij [A_c,ij > mean(A_c) + k*std(A_c)] (k = 2); CAM = sum_c w_c A_c',
  needs: {},
  kind: 'custom',
  compute: async (ctx) => {
    const [n, c, h, w] = ctx.layer.shape;
    const k = ctx.options.k ?? 2;
    if (typeof k !== 'number' || !Number.isFinite(k)) {
      throw new CamanimError(
        'bad-input',
        `FEM's k must be a number, got ${String(k)}`,
        { layer: ctx.layer.name },
        'Pass options.k as a number (the threshold is mean + k·std; CLI: --fem-k)',
      );
    }
    const a = await ctx.readActivation();
    const hw = h * w;
    const weights = new Float32Array(n * c);
    for (let i = 0; i < n * c; i++) {
      const m = a.subarray(i * hw, (i + 1) * hw);
      let mean = 0;
      for (const v of m) mean += v;
      mean /= hw;
      let sq = 0;
      for (const v of m) sq += (v - mean) ** 2;
      const t = Math.fround(mean + k * Math.sqrt(sq / hw));
      let above = 0;
      for (const v of m) if (v > t) above++;
      weights[i] = above / hw;
    }
    return { weights };
  },
};
