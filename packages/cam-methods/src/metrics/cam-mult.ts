/**
 * pytorch-grad-cam's CAM-times-image metrics (metrics/cam_mult_image.py on
 * PerturbationConfidenceMetric, metrics/perturbation_confidence.py): the input tensor (after
 * normalisation) is multiplied by the map, `multiply_tensor_with_cam(x, cam) = x * cam`, and
 *
 * - CamMultImageConfidenceChange = score(x ⊙ cam) − score(x) (return_diff=True), float32;
 * - DropInConfidence = np.maximum(−change, 0) (no division by score(x), no percent);
 * - IncreaseInConfidence = np.float32(change > 0), 1 or 0 per image (its mean over images is the
 *   Grad-CAM++ paper's "increase in confidence" rate).
 *
 * The score is the target's (default: the softmax probability of the class, ClassifierOutputSoftmaxTarget;
 * `kind: 'logit'` is ClassifierOutputTarget). `dropPercent` is Chattopadhyay et al.'s Average Drop
 * term, 100·max(0, Y − O)/Y, which the library does not compute. Per layer the map is the one
 * the library's metrics receive (road-map.ts) unless `map: 'upsampled'`.
 */
import type { Run, Target } from '@camanim/core';
import type { CamStack } from '../method.ts';
import {
  checkMapSizes,
  confidenceOf,
  originalImage,
  scoreImages,
  stackMaps,
  type BatchOptions,
  type RoadMap,
} from './confidence.ts';

export interface CamMultOptions extends BatchOptions {
  /** Default: the softmax probability of the stack's class (cam-mult of one map: required). */
  readonly target?: Target;
  readonly item?: number;
  /** Per layer (camMultLayers): default `pytorch-grad-cam`. */
  readonly map?: RoadMap;
}

export interface CamMultScore {
  /** CamMultImageConfidenceChange: score(x ⊙ cam) − score(x). */
  readonly change: number;
  /** DropInConfidence: max(−change, 0). */
  readonly drop: number;
  /** IncreaseInConfidence: 1 if change > 0, else 0. */
  readonly increase: number;
  /** 100·drop/score(x) (Chattopadhyay et al. 2018's Average Drop %, per image). */
  readonly dropPercent: number;
}

export interface CamMultSettings {
  readonly target: Target;
  readonly baseline: number;
  readonly map?: RoadMap;
}

export interface CamMultLayers {
  readonly series: readonly CamMultScore[];
  readonly settings: CamMultSettings;
}

/** The three scores of each map [H·W] (at input resolution) of batch item `item`. */
export async function camMult(
  run: Run,
  cams: readonly ArrayLike<number>[],
  opts: CamMultOptions,
): Promise<{ scores: CamMultScore[]; settings: CamMultSettings }> {
  const conf = await confidenceOf(run, opts.target, opts.item ?? 0, 'CamMultImageConfidenceChange');
  const [c, H, W] = conf.image;
  checkMapSizes(cams, H, W, 'CamMultImageConfidenceChange');
  const x = await originalImage(run, conf);
  const scored = await scoreImages(
    run,
    conf,
    cams.length,
    (k, into) => {
      const cam = cams[k];
      for (let ch = 0; ch < c; ch++) for (let p = 0; p < H * W; p++) into[ch * H * W + p] = x[ch * H * W + p] * cam[p];
    },
    opts,
  );
  const scores = [...scored].map((s) => {
    const change = Math.fround(Math.fround(s) - Math.fround(conf.baseline));
    const drop = Math.max(-change, 0);
    return { change, drop, increase: change > 0 ? 1 : 0, dropPercent: (100 * drop) / conf.baseline };
  });
  return { scores, settings: { target: conf.target, baseline: conf.baseline } };
}

/** camMult of every layer of a stack. */
export async function camMultLayers(run: Run, stack: CamStack, opts: CamMultOptions = {}): Promise<CamMultLayers> {
  const { item, map, target, cams } = stackMaps(stack, opts, 'CamMultImageConfidenceChange');
  const { scores, settings } = await camMult(run, cams, { ...opts, target, item });
  return { series: scores, settings: { ...settings, map } };
}
