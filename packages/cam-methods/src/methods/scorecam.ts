/**
 * Score-CAM (Wang et al., 2020, arXiv:1910.01279): each channel, upsampled to the input size
 * (bilinear, align_corners as torch's UpsamplingBilinear2d) and min-max normalised, masks the
 * input; the target scores of the masked inputs, softmaxed over channels, are the weights.
 * One extra forward per channel, batched.
 */
import type { CustomMethod } from '../method.ts';
import { resizeAlignCorners } from '../resize.ts';

const BATCH = 16;

export const scorecam: CustomMethod = {
  id: 'scorecam',
  title: 'Score-CAM',
  reference: 'Wang et al. 2020: w = softmax_c(score(x * norm(up(A_c))))',
  needs: { extraForwards: true },
  kind: 'custom',
  compute: async (ctx) => {
    const [n, c, h, w] = ctx.layer.shape;
    const input = await ctx.run.read(ctx.inputName);
    const [, ch, H, W] = input.shape;
    const a = await ctx.readActivation();
    const weights = new Float32Array(n * c);
    for (let b = 0; b < n; b++) {
      const image = input.data.subarray(b * ch * H * W, (b + 1) * ch * H * W);
      const scores: number[] = [];
      for (let start = 0; start < c; start += BATCH) {
        const count = Math.min(BATCH, c - start);
        const batch = new Float32Array(count * ch * H * W);
        for (let k = 0; k < count; k++) {
          const mask = normalized(
            resizeAlignCorners(a.subarray((b * c + start + k) * h * w, (b * c + start + k + 1) * h * w), h, w, H, W),
          );
          for (let q = 0; q < ch; q++)
            for (let p = 0; p < H * W; p++) batch[(k * ch + q) * H * W + p] = image[q * H * W + p] * mask[p];
        }
        scores.push(...(await ctx.scoreInputs(batch, count, b)));
      }
      const m = Math.max(...scores);
      const e = scores.map((s) => Math.exp(s - m));
      const z = e.reduce((x, y) => x + y, 0);
      e.forEach((v, k) => (weights[b * c + k] = v / z));
    }
    return { weights };
  },
};

function normalized(m: Float32Array): Float32Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of m) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return m.map((v) => (v - lo) / (hi - lo + 1e-8));
}
