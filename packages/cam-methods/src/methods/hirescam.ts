/**
 * HiResCAM (Draelos & Carin, 2020, arXiv:2011.08891): the gradient multiplies the activation
 * element-wise before the channel sum, CAM = Σ_c ∂y/∂A_c ⊙ A_c.
 */
import type { ElementMethod } from '../method.ts';

export const hirescam: ElementMethod = {
  id: 'hirescam',
  title: 'HiResCAM',
  reference: 'Draelos & Carin 2020: CAM = sum_c (dy/dA_c * A_c)',
  needs: { gradients: true },
  kind: 'element',
  element: 'g * a',
};
