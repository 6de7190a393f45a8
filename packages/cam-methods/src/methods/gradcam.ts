/**
 * Grad-CAM (Selvaraju et al., 2017, arXiv:1610.02391):
 * w_c = (1/Z) Σ_ij ∂y/∂A_c,ij ; CAM = ReLU(Σ_c w_c A_c).
 */
import type { ChannelMethod } from '../method.ts';

export const gradcam: ChannelMethod = {
  id: 'gradcam',
  title: 'Grad-CAM',
  reference: 'Selvaraju et al. 2017: w_c = mean_ij dy/dA_c,ij; CAM = ReLU(sum_c w_c A_c)',
  needs: { gradients: true },
  kind: 'channel',
  weights: { expr: 'g', reduce: 'mean' },
};
