/**
 * Eigen-CAM (Muhammad & Yeasin, 2020, arXiv:2008.00299): the projection of the layer's
 * activations (positions × channels, centred) onto their first principal component. No
 * gradients; sign fixed deterministically (see linalg.ts).
 */
import { firstComponentProjection } from '../linalg.ts';
import type { CustomMethod } from '../method.ts';

export const eigencam: CustomMethod = {
  id: 'eigencam',
  title: 'Eigen-CAM',
  reference: 'Muhammad & Yeasin 2020: CAM = A·v1, v1 the first principal component of A [HW x C]',
  needs: {},
  kind: 'custom',
  compute: async (ctx) => ({ map: projectEach(await ctx.readActivation(), ctx.layer.shape) }),
};

/** First-component projection of each image of a [N, C, H, W] batch. */
export function projectEach(data: Float32Array, [n, c, h, w]: readonly number[]): Float32Array {
  const hw = h * w;
  const out = new Float32Array(n * hw);
  for (let b = 0; b < n; b++) out.set(firstComponentProjection(data.subarray(b * c * hw, (b + 1) * c * hw), c, hw), b * hw);
  return out;
}
