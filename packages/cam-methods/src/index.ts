/** @camanim/cam-methods: CAM method plugins, layer selection, the shared runner, normalization. */
import { ablationcam } from './methods/ablationcam.ts';
import { eigencam } from './methods/eigencam.ts';
import { eigengradcam } from './methods/eigengradcam.ts';
import { fullgrad } from './methods/fullgrad.ts';
import { gradcam } from './methods/gradcam.ts';
import { gradcamElementwise } from './methods/gradcam-elementwise.ts';
import { gradcamPlusPlus } from './methods/gradcam-plusplus.ts';
import { hirescam } from './methods/hirescam.ts';
import { kpcacam } from './methods/kpcacam.ts';
import { layercam } from './methods/layercam.ts';
import { randomcam } from './methods/randomcam.ts';
import { scorecam } from './methods/scorecam.ts';
import { shapleycam } from './methods/shapleycam.ts';
import { xgradcam } from './methods/xgradcam.ts';
import type { CamMethod } from './method.ts';
import { createCamRegistry } from './registry.ts';

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
];

export const defaultCamRegistry = createCamRegistry(methods);

/** Adds a plugin method to the default registry (one call from another package). */
export const registerCamMethod = (m: CamMethod) => defaultCamRegistry.register(m);
export const listCamMethods = () => defaultCamRegistry.list();

export { createCamRegistry, type CamRegistry } from './registry.ts';
export type { CamMethod, CamContext, CamNeeds, CamResult, ChannelMethod, ElementMethod, CustomMethod, LayerInfo, ChannelReduction } from './method.ts';
export { selectLayers, type LayerSelection } from './layers.ts';
export { computeCams, eigenSmoothable, type CamOptions, type CamLayer, type CamStack } from './compute.ts';
export { normalizeMaps, range, type Normalization } from './normalize.ts';
export { TARGET_KINDS, targetKindName, targetKindSuffix, smoothingSuffix, type TargetKind } from './labels.ts';
export { firstComponentProjection } from './linalg.ts';
export { fullGradSaliency } from './methods/fullgrad.ts';
export { imputeBatch, type ImputeOptions, type ImputeResult } from './metrics/imputation.ts';
export {
  road, ybroad, DEFAULT_PERCENTILES, DEFAULT_ROAD_CONVENTIONS, ROAD_PRESETS,
  type PercentReading, type RoadCombine, type RoadConventions, type RoadMap, type RoadOptions, type RoadPreset,
  type RoadResult, type RoadScore, type RoadSettings, type TieRule, type YbRoad, type YbRoadOptions,
} from './metrics/road.ts';
export { pytorchGradCamMap, scaleCamImage } from './metrics/road-map.ts';
export { percentileLinear, prepareCam, rankPixels, removalMask, type PreparedCam } from './metrics/masks.ts';
