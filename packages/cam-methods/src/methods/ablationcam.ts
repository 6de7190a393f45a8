/**
 * Ablation-CAM (Desai & Ramaswamy, WACV 2020): the weight of channel c is the relative drop of
 * the target score when that channel is zeroed, w_c = (y − y_c) / y. Re-runs only the part of
 * the network downstream of the layer, one batch of channels at a time.
 */
import type { CustomMethod } from '../method.ts';

const BATCH = 32;

export const ablationcam: CustomMethod = {
  id: 'ablationcam',
  title: 'Ablation-CAM',
  reference: 'Desai & Ramaswamy 2020: w_c = (y - y_c) / y, y_c the score with channel c zeroed',
  needs: { extraForwards: true },
  kind: 'custom',
  compute: async (ctx) => {
    const [n, c, h, w] = ctx.layer.shape;
    const a = await ctx.readActivation();
    const size = c * h * w;
    const weights = new Float32Array(n * c);
    for (let b = 0; b < n; b++) {
      const image = a.subarray(b * size, (b + 1) * size);
      const y = ctx.scores[b];
      for (let start = 0; start < c; start += BATCH) {
        const count = Math.min(BATCH, c - start);
        const batch = new Float32Array(count * size);
        for (let k = 0; k < count; k++) {
          batch.set(image, k * size);
          batch.fill(0, k * size + (start + k) * h * w, k * size + (start + k + 1) * h * w);
        }
        const scores = await ctx.scoreLayerVariants(batch, count, b);
        scores.forEach((s, k) => (weights[b * c + start + k] = (y - s) / y));
      }
    }
    return { weights };
  },
};
