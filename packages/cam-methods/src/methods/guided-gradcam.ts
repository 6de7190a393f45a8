/**
 * Guided Grad-CAM (Selvaraju et al. 2017) as a method: its frames are Grad-CAM's; the guided
 * backpropagation image and each layer's Guided Grad-CAM image (guided.ts, as pytorch-grad-cam's
 * cam.py makes them) are written beside them by the CLI.
 */
import type { ChannelMethod } from '../method.ts';
import { gradcam } from './gradcam.ts';

export const guidedGradcam: ChannelMethod = {
  ...gradcam,
  id: 'guided-gradcam',
  title: 'Guided Grad-CAM',
  reference: 'Selvaraju et al. 2017: deprocess(guided backprop * Grad-CAM map); frames are Grad-CAM, images beside them',
  derive: { base: gradcam },
};
