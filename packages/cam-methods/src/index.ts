/** @camanim/cam-methods: CAM method plugins, layer selection, the shared runner, normalization. */
export { methods, defaultCamRegistry, registerCamMethod, listCamMethods } from './methods/index.ts';
export { createCamRegistry, type CamRegistry } from './registry.ts';
export type {
  CamMethod,
  CamContext,
  CamNeeds,
  CamResult,
  ChannelMethod,
  ElementMethod,
  CustomMethod,
  LayerInfo,
  ChannelReduction,
  CamLayer,
  CamStack,
  DerivedFrom,
  LayerConcepts,
} from './method.ts';
export { layersFor, selectLayers, type LayerSelection } from './layers.ts';
export { attentionLayers } from './attention.ts';
export { tokenLayout, MAX_PREFIX_TOKENS, type TokenOptions } from './tokens.ts';
export { computeCams, eigenSmoothable, type CamOptions } from './compute.ts';
export { normalizeMaps, range, type Normalization } from './normalize.ts';
export { niceTicks, type Ticks } from './ticks.ts';
export { TARGET_KINDS, targetKindName, targetKindSuffix, smoothingSuffix, type TargetKind } from './captions.ts';
export { firstComponentProjection } from './linalg.ts';
export { fullGradSaliency } from './methods/fullgrad.ts';
export { finerTarget, type FinerOptions } from './methods/finercam.ts';
export { fuseStack, FUSIONS, type Fusion } from './methods/layercam-fusion.ts';
export { nmf, type NmfOptions, type NmfResult } from './nmf.ts';
export { guidedBackprop, deprocessImage, type GuidedGradient } from './guided.ts';
export { imputeBatch, type ImputeOptions, type ImputeResult } from './metrics/imputation.ts';
export {
  road,
  ybroad,
  ybroadImages,
  DEFAULT_PERCENTILES,
  DEFAULT_ROAD_CONVENTIONS,
  ROAD_PRESETS,
  type PercentReading,
  type RoadCombine,
  type RoadConventions,
  type RoadMap,
  type RoadOptions,
  type RoadPreset,
  type RoadResult,
  type RoadScore,
  type RoadSettings,
  type TieRule,
  type YbRoad,
  type YbRoadImage,
  type YbRoadOptions,
} from './metrics/road-score.ts';
export { pytorchGradCamMap, scaleCamImage } from './metrics/road-map.ts';
export { percentileLinear, prepareCam, rankPixels, removalMask, type PreparedCam } from './metrics/masks.ts';
export {
  camMult,
  camMultLayers,
  type CamMultLayers,
  type CamMultOptions,
  type CamMultScore,
  type CamMultSettings,
} from './metrics/cam-mult.ts';
export {
  causal,
  causalLayers,
  riseAuc,
  type CausalLayers,
  type CausalMode,
  type CausalOptions,
  type CausalScore,
  type CausalSettings,
  type Substrate,
} from './metrics/causal.ts';
export { gkern1d, riseBlur } from './metrics/blur.ts';
export { mprt, type MprtOptions, type MprtResult } from './metrics/mprt.ts';
export { parameterNodes, randomised, type ParameterNode } from './metrics/randomise.ts';
export { averageRanks, spearman, ssim } from './metrics/similarity.ts';
export {
  BUNDLE_VERSION,
  BundleError,
  type BundleCam,
  type BundleContract,
  type BundleErrorCode,
  type BundleImage,
  type BundleLayer,
  type BundleManifest,
  type BundleMetric,
  type BundleModel,
  type BundlePrediction,
  type BundleTarget,
  type ByteRange,
  type Complete,
} from './bundle/manifest.ts';
export { checkFileSizes, parseManifest, validateManifest } from './bundle/validate.ts';
export { packMaps, readMap } from './bundle/maps.ts';
export {
  AGGREGATES_FILE,
  GALLERY_FILE,
  GALLERY_VERSION,
  type Aggregates,
  type GalleryImage,
  type GalleryIndex,
  type LayerAggregate,
  type MeanCi,
  type MethodAggregate,
  type GallerySize,
} from './eval-folder/schema.ts';
export { checkGalleryAgainst, parseAggregates, parseGalleryIndex } from './eval-folder/validate.ts';
export {
  encodeGalleryItem,
  galleryHeaderEnd,
  readGalleryHeader,
  readGalleryItem,
  GALLERY_ITEM_MAGIC,
  GALLERY_ITEM_PREFIX,
  ITEM_HINT,
  type GalleryItem,
  type GalleryItemHeader,
  type GalleryMapEntry,
} from './eval-folder/item.ts';
