/**
 * RandomCAM (pytorch-grad-cam's sanity baseline): channel weights drawn uniformly from
 * [−1, 1], seeded so runs repeat. A faithful method should beat it on ROAD.
 */
import { uniform } from '../random.ts';
import type { CustomMethod } from '../method.ts';

export const randomcam: CustomMethod = {
  id: 'randomcam',
  title: 'Random CAM',
  reference: 'pytorch-grad-cam RandomCAM: w_c ~ U(-1, 1)',
  needs: {},
  kind: 'custom',
  compute: async (ctx) => {
    const [n, c] = ctx.layer.shape;
    return { weights: uniform(n * c, ctx.seed + ctx.layer.index, -1, 1) };
  },
};
