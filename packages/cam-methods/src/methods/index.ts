/** The built-in CAM methods, one line each, and the default registry they fill (plugins join it with registerCamMethod). */
import { ablationcam } from './ablationcam.ts';
import { attentionRollout } from './attention-rollout.ts';
import { dff } from './dff.ts';
import { eigencam } from './eigencam.ts';
import { eigengradcam } from './eigengradcam.ts';
import { fem } from './fem.ts';
import { finercam } from './finercam.ts';
import { fullgrad } from './fullgrad.ts';
import { gradcam } from './gradcam.ts';
import { gradcamElementwise } from './gradcam-elementwise.ts';
import { gradcamPlusPlus } from './gradcam-plusplus.ts';
import { guidedGradcam } from './guided-gradcam.ts';
import { gradientAttention } from './gradient-attention.ts';
import { hirescam } from './hirescam.ts';
import { kpcacam } from './kpcacam.ts';
import { layercam } from './layercam.ts';
import { layercamFusion } from './layercam-fusion.ts';
import { randomcam } from './randomcam.ts';
import { scorecam } from './scorecam.ts';
import { shapleycam } from './shapleycam.ts';
import { xgradcam } from './xgradcam.ts';
import type { CamMethod } from '../method.ts';
import { createCamRegistry } from '../registry.ts';

export const methods: readonly CamMethod[] = [
  gradcam,
  hirescam,
  gradcamElementwise,
  gradcamPlusPlus,
  xgradcam,
  layercam,
  eigencam,
  eigengradcam,
  kpcacam,
  scorecam,
  ablationcam,
  fullgrad,
  shapleycam,
  randomcam,
  attentionRollout,
  gradientAttention,
  fem,
  finercam,
  layercamFusion,
  dff,
  guidedGradcam,
];

export const defaultCamRegistry = createCamRegistry(methods);

/** Adds a plugin method to the default registry (one call from another package). */
export const registerCamMethod = (m: CamMethod) => defaultCamRegistry.register(m);
export const listCamMethods = () => defaultCamRegistry.list();
