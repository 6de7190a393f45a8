/**
 * Eigen-Grad-CAM (pytorch-grad-cam): Eigen-CAM on the gradient-weighted activations,
 * CAM = first-principal-component projection of (∂y/∂A ⊙ A).
 */
import { projectEach } from '../linalg.ts';
import type { CustomMethod } from '../method.ts';

export const eigengradcam: CustomMethod = {
  id: 'eigengradcam',
  title: 'Eigen-Grad-CAM',
  reference: 'pytorch-grad-cam EigenGradCAM: CAM = first principal component projection of (dy/dA * A)',
  needs: { gradients: true },
  kind: 'custom',
  returns: 'map',
  compute: async (ctx) => {
    const a = await ctx.readActivation();
    const g = await ctx.readGradient();
    return {
      map: projectEach(
        a.map((v, i) => v * g[i]),
        ctx.layer.shape,
      ),
    };
  },
};
