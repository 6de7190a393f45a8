/**
 * Grad-CAM++ (Chattopadhyay et al., 2018, arXiv:1710.11063), with the exponential-output
 * simplification pytorch-grad-cam uses:
 * α_c,ij = g² / (2g² + Σ_ab A_c,ab · g³),  w_c = Σ_ij α_c,ij · ReLU(g_c,ij)  (α = 0 where g = 0).
 */
import type { ChannelMethod } from '../method.ts';

export const gradcamPlusPlus: ChannelMethod = {
  id: 'gradcam++',
  title: 'Grad-CAM++',
  reference: 'Chattopadhyay et al. 2018: a = g^2 / (2 g^2 + sum_ab A_ab g^3); w_c = sum_ij a ReLU(g)',
  needs: { gradients: true },
  kind: 'channel',
  sums: [{ expr: 'a', reduce: 'sum' }],
  weights: { expr: 'select(0.0, max(g, 0.0) * g * g / (2.0 * g * g + s0 * g * g * g + 1e-7), g != 0.0)', reduce: 'sum' },
};
