/**
 * LayerCAM (Jiang et al., 2021, IEEE TIP): each position weighted by its positive gradient,
 * CAM = Σ_c ReLU(∂y/∂A_c) ⊙ A_c.
 */
import type { ElementMethod } from '../method.ts';

export const layercam: ElementMethod = {
  id: 'layercam',
  title: 'LayerCAM',
  reference: 'Jiang et al. 2021: CAM = sum_c ReLU(dy/dA_c) * A_c',
  needs: { gradients: true },
  kind: 'element',
  element: 'max(g, 0.0) * a',
};
