/**
 * Deletion and Insertion (Petsiuk et al. 2018, RISE), as the authors' reference implementation
 * computes them (eclique/RISE evaluation.py CausalMetric.single_run, auc; Evaluation.ipynb):
 * pixels are taken in order of decreasing saliency, `step` per iteration, n = ceil(HW/step)
 * iterations; deletion starts from the image and moves those pixels (every channel) to the
 * substrate, zeros by default; insertion starts from the substrate, the blurred image by default
 * (blur.ts, gkern(11, 5)), and moves them to the image. The curve is the target's score at each of
 * the n + 1 images (RISE: the softmax probability of the class), and its AUC is the trapezoid on a
 * uniform grid over [0, 1], (Σ s − s₀/2 − sₙ/2)/n, whatever the last step's size.
 *
 * RISE ranks with np.argsort (not stable), so ties fall in an unspecified order; here ties go in
 * raster order (masks.ts rankPixels: value descending, lower index first), which matters on
 * ReLU'd maps with flat zeros and on maps upsampled from a coarse grid.
 */
import { CamanimError, type Run, type Target } from '@camanim/core';
import type { CamStack } from '../method.ts';
import { riseBlur } from './blur.ts';
import {
  checkMapSizes,
  confidenceOf,
  originalImage,
  scoreImages,
  stackMaps,
  type BatchOptions,
  type RoadMap,
} from './confidence.ts';
import { rankPixels } from './masks.ts';

export type CausalMode = 'deletion' | 'insertion';
export type Substrate = 'zeros' | 'blur';

export interface CausalOptions extends BatchOptions {
  /** Pixels moved per iteration (default: the input's width, RISE's 224 on 224×224). */
  readonly step?: number;
  /** Default: zeros for deletion, blur for insertion (RISE's Evaluation.ipynb). */
  readonly substrate?: Substrate;
  /** Default: the softmax probability of the stack's class (one map: required). */
  readonly target?: Target;
  readonly item?: number;
  /** Per layer: default `pytorch-grad-cam`. */
  readonly map?: RoadMap;
}

export interface CausalScore {
  /** Score after 0, 1, …, n iterations. */
  readonly curve: readonly number[];
  readonly auc: number;
}

export interface CausalSettings {
  readonly mode: CausalMode;
  readonly step: number;
  readonly substrate: Substrate;
  readonly target: Target;
  readonly ties: 'raster';
  readonly map?: RoadMap;
}

export interface CausalLayers {
  readonly series: readonly CausalScore[];
  readonly settings: CausalSettings;
}

/** RISE's auc: the trapezoid over n + 1 points evenly spaced on [0, 1]. */
export function riseAuc(curve: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < curve.length; i++) s += curve[i];
  return (s - curve[0] / 2 - curve[curve.length - 1] / 2) / (curve.length - 1);
}

/** Deletion or insertion curves and AUCs of maps [H·W] at input resolution. */
export async function causal(
  run: Run,
  mode: CausalMode,
  cams: readonly ArrayLike<number>[],
  opts: CausalOptions,
): Promise<{ scores: CausalScore[]; settings: CausalSettings }> {
  const conf = await confidenceOf(run, opts.target, opts.item ?? 0, mode);
  const [c, H, W] = conf.image;
  const HW = H * W;
  checkMapSizes(cams, H, W, mode);
  const step = opts.step ?? W;
  if (!(Number.isInteger(step) && step >= 1 && step <= HW)) {
    throw new CamanimError(
      'bad-input',
      `${mode} step ${step} is not a whole number of pixels in 1..${HW}`,
      {},
      `Pass step: ${W} (one row of pixels per iteration, RISE's)`,
    );
  }
  const substrate = opts.substrate ?? (mode === 'deletion' ? 'zeros' : 'blur');
  if (substrate !== 'zeros' && substrate !== 'blur')
    throw new CamanimError(
      'bad-input',
      `${mode} substrate '${substrate}' is not zeros or blur`,
      {},
      "Pass substrate: 'zeros' or 'blur'",
    );
  const x = await originalImage(run, conf);
  const other = substrate === 'zeros' ? new Float32Array(x.length) : riseBlur(x, c, H, W);
  const [from, to] = mode === 'deletion' ? [x, other] : [other, x];
  const n = Math.ceil(HW / step);
  const orders = cams.map((cam) => rankPixels(Float32Array.from(cam)));
  const scored = await scoreImages(
    run,
    conf,
    cams.length * (n + 1),
    (k, into) => {
      const order = orders[Math.floor(k / (n + 1))];
      const moved = Math.min(HW, (k % (n + 1)) * step);
      into.set(from);
      for (let i = 0; i < moved; i++) for (let ch = 0; ch < c; ch++) into[ch * HW + order[i]] = to[ch * HW + order[i]];
    },
    opts,
  );
  const scores = cams.map((_, m) => {
    const curve = [...scored.subarray(m * (n + 1), (m + 1) * (n + 1))];
    return { curve, auc: riseAuc(curve) };
  });
  return { scores, settings: { mode, step, substrate, target: conf.target, ties: 'raster' } };
}

/** Deletion or insertion of every layer of a stack. */
export async function causalLayers(run: Run, stack: CamStack, mode: CausalMode, opts: CausalOptions = {}): Promise<CausalLayers> {
  const { item, map, target, cams } = stackMaps(stack, opts, mode);
  const { scores, settings } = await causal(run, mode, cams, { ...opts, target, item });
  return { series: scores, settings: { ...settings, map } };
}
