/**
 * Grad-CAM element-wise (pytorch-grad-cam's GradCAMElementWise): like HiResCAM with a ReLU on
 * each product before the channel sum, CAM = Σ_c ReLU(∂y/∂A_c ⊙ A_c).
 */
import type { ElementMethod } from '../method.ts';

export const gradcamElementwise: ElementMethod = {
  id: 'gradcamelementwise',
  title: 'Grad-CAM element-wise',
  reference: 'pytorch-grad-cam GradCAMElementWise: CAM = sum_c ReLU(dy/dA_c * A_c)',
  needs: { gradients: true },
  kind: 'element',
  element: 'max(g * a, 0.0)',
};
