/**
 * Eigen-CAM (Muhammad & Yeasin, 2020, arXiv:2008.00299): the projection of the layer's
 * activations (positions × channels, centred) onto their first principal component. No
 * gradients; sign fixed deterministically (see linalg.ts).
 */
import { projectEach } from '../linalg.ts';
import type { CustomMethod } from '../method.ts';

export const eigencam: CustomMethod = {
  id: 'eigencam',
  title: 'Eigen-CAM',
  reference: 'Muhammad & Yeasin 2020: CAM = A·v1, v1 the first principal component of A [HW x C]',
  needs: {},
  kind: 'custom',
  returns: 'map',
  compute: async (ctx) => ({ map: projectEach(await ctx.readActivation(), ctx.layer.shape) }),
};
