/**
 * XGrad-CAM (Fu et al., 2020, arXiv:2008.02312): w_c = Σ_ij (A_c,ij / Σ_ab A_c,ab) · ∂y/∂A_c,ij.
 */
import type { ChannelMethod } from '../method.ts';

export const xgradcam: ChannelMethod = {
  id: 'xgradcam',
  title: 'XGrad-CAM',
  reference: 'Fu et al. 2020: w_c = sum_ij (A_c,ij / sum_ab A_c,ab) dy/dA_c,ij',
  needs: { gradients: true },
  kind: 'channel',
  sums: [{ expr: 'a', reduce: 'sum' }],
  weights: { expr: 'g * a / (s0 + 1e-7)', reduce: 'sum' },
};
