/**
 * ROAD (Rong et al., 2022) and the CAManim paper's ybROAD (Kaczmarek et al.): remove the most
 * (MoRF) or least (LeRF) relevant pixels by noisy linear imputation and measure the change of the
 * target's confidence, C(p) = score(perturbed) − score(original). Per percentile the combined
 * score is (C_LeRF(p) − C_MoRF(p))/2; a layer's ROAD is their sum (the CAManim paper, DESIGN.md)
 * or mean (pytorch-grad-cam's ROADCombined) over p, and ybROAD is that series over layers with its
 * max (best layer) and mean. Perturbed images of all layers, and of all images with
 * ybroadImages, are imputed and scored in full fixed-size batches on the GPU. The conventions (tie rule, percentile reading, combination, map) are options, and every
 * result records the ones it used in `settings`; docs/cam-conventions.md explains each.
 */
import { CamanimError, isCamanimError, seedGradient, type Run, type Target } from '@camanim/core';
import type { CamStack } from '../method.ts';
import { confidenceOf, layerMaps, stackTarget, type Confidence, type RoadMap } from './confidence.ts';
import { imputeBatch, noiseSeed, type ImputeOptions } from './imputation.ts';
import {
  checkPercentiles,
  prepareCam,
  removalMask,
  type PreparedCam,
  removedShare,
  type Order,
  type PercentReading,
  type TieRule,
} from './masks.ts';

export type { PercentReading, TieRule } from './masks.ts';
export type { RoadMap } from './confidence.ts';
export type RoadCombine = 'sum' | 'mean';

export interface RoadConventions {
  /** `threshold`: every pixel at/above the np.percentile threshold goes together; `rank`: an exact count. */
  readonly ties: TieRule;
  /** Whether p is the share of pixels `removed` or `kept`. */
  readonly percent: PercentReading;
  /** ROAD = Σ_p or mean_p of combined(p). */
  readonly combine: RoadCombine;
}

export interface RoadOptions extends ImputeOptions, Partial<RoadConventions> {
  /** Percentiles p (default 20, 40, 60, 80, the CAManim paper's); read as `percent` says. */
  readonly percentiles?: readonly number[];
  /** Confidence target; default: the softmax probability of the explained class. */
  readonly target?: Target;
  /** Batch item of the run (default 0). */
  readonly item?: number;
  /** Perturbed images per batched forward. */
  readonly batch?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface YbRoadOptions extends Omit<RoadOptions, 'target'> {
  readonly target?: Target;
  /** Default `pytorch-grad-cam`. */
  readonly map?: RoadMap;
}

/** What a result was computed with (serialised into ybroad.json and the bundle). */
export interface RoadSettings extends RoadConventions {
  readonly percentiles: readonly number[];
  readonly noise: number;
  readonly seed: number;
  readonly target: Target;
  /** ybroad only. */
  readonly map?: RoadMap;
}

export interface RoadScore {
  readonly percentiles: readonly number[];
  readonly morf: readonly number[];
  readonly lerf: readonly number[];
  /** (LeRF − MoRF)/2 per percentile. */
  readonly combined: readonly number[];
  /** Σ_p or mean_p combined(p), as settings.combine says. */
  readonly road: number;
  /** Share of the pixels each mask removed (under `threshold` ties, not exactly the nominal share). */
  readonly removed: { readonly morf: readonly number[]; readonly lerf: readonly number[] };
}

export interface RoadResult extends RoadScore {
  readonly settings: RoadSettings;
}

export interface YbRoad {
  readonly series: readonly RoadScore[];
  readonly max: { readonly layer: number; readonly name: string; readonly value: number };
  readonly mean: number;
  readonly settings: RoadSettings;
}

export const DEFAULT_PERCENTILES = [20, 40, 60, 80] as const;

/**
 * Defaults: the tie rule and the percentile reading are pytorch-grad-cam's (metrics/
 * perturbation_confidence.py RemoveMostRelevantFirst.__call__: `threshold = np.percentile(mask,
 * self.percentile)`, `binary_mask = mask < threshold` kept; RemoveLeastRelevantFirst the same on
 * 1 − mask), the library CAManim's authors used; the sum over p is the CAManim paper's ROAD(L).
 */
export const DEFAULT_ROAD_CONVENTIONS: RoadConventions = { ties: 'threshold', percent: 'kept', combine: 'sum' };

/**
 * Presets. `pytorch-grad-cam`: ROADMostRelevantFirstAverage / ROADLeastRelevantFirstAverage /
 * ROADCombined (metrics/road.py) with their default percentiles 10..90, AveragerAcrossThresholds'
 * np.mean over p, and NoisyLinearImputer's noise 0.01 (the library draws it with torch.randn, so
 * only noise 0 repeats its numbers exactly). `camanim-rank`: camanim before these options.
 */
export const ROAD_PRESETS = {
  'pytorch-grad-cam': {
    ties: 'threshold',
    percent: 'kept',
    combine: 'mean',
    percentiles: [10, 20, 30, 40, 50, 60, 70, 80, 90],
    noise: 0.01,
    map: 'pytorch-grad-cam',
  },
  'camanim-rank': { ties: 'rank', percent: 'removed', combine: 'sum', percentiles: [20, 40, 60, 80], noise: 0, map: 'upsampled' },
} as const satisfies Record<string, RoadConventions & { percentiles: readonly number[]; noise: number; map: RoadMap }>;
export type RoadPreset = keyof typeof ROAD_PRESETS;

/** ROAD of one CAM given at input resolution [H·W]. */
export async function road(run: Run, cam: ArrayLike<number>, opts: RoadOptions): Promise<RoadResult> {
  const [one] = await roadMany(run, [{ item: opts.item ?? 0, target: opts.target, maps: [{ cam, name: '' }] }], opts);
  const { scores, settings } = orThrow(one);
  return { ...scores[0], settings };
}

/** One image of a multi-image ybROAD: its CAM stack, the batch item and the confidence target (default: stackTarget). */
export interface YbRoadImage {
  readonly stack: CamStack;
  readonly item?: number;
  readonly target?: Target;
}

/**
 * ybROAD over every layer of a CAM stack: each layer's map is pytorch-grad-cam's (from `raw`,
 * road-map.ts) unless `map: 'upsampled'` (camanim's upsampled CAM, before ReLU). With augSmooth the
 * stack's raw is already ReLU'd and scaled per variant; the map is then built from that mean.
 * The one-image case of ybroadImages.
 */
export async function ybroad(run: Run, stack: CamStack, opts: YbRoadOptions = {}): Promise<YbRoad> {
  const [one] = await ybroadImages(run, [{ stack, item: opts.item, target: opts.target }], opts);
  return orThrow(one);
}

/**
 * ybROAD of several images at once (batch items of one run, each with its stack and target): the
 * perturbed images of all their layers go through the same full fixed-size forwards, each with its
 * own image and target, and each image's numbers are what ybroad gives it alone. An image whose
 * map cannot be scored (a constant CAM: bad-input) gets that error in its place; the others are
 * scored.
 */
export async function ybroadImages(
  run: Run,
  images: readonly YbRoadImage[],
  opts: Omit<YbRoadOptions, 'item' | 'target'> = {},
): Promise<(YbRoad | CamanimError)[]> {
  const map = opts.map ?? 'pytorch-grad-cam';
  const inputs = images.map((im) => {
    const item = im.item ?? 0;
    return { item, target: im.target ?? stackTarget(im.stack.target, item, 'ROAD'), maps: layerMaps(im.stack, item, map) };
  });
  const outcomes = await roadMany(run, inputs, opts);
  return outcomes.map((o, i) => {
    if (o instanceof CamanimError) return o;
    const { scores: series, settings } = o;
    let best = 0;
    series.forEach((s, k) => {
      if (s.road > series[best].road) best = k;
    });
    return {
      series,
      max: { layer: best, name: images[i].stack.layers[best]?.name ?? '', value: series[best]?.road ?? NaN },
      mean: series.reduce((a, s) => a + s.road, 0) / Math.max(1, series.length),
      settings: { ...settings, map },
    };
  });
}

interface RoadImage {
  readonly item: number;
  readonly target: Target | undefined;
  readonly maps: readonly { readonly cam: ArrayLike<number>; readonly name: string }[];
}

type RoadOutcome = { readonly scores: RoadScore[]; readonly settings: RoadSettings } | CamanimError;

/** A one-image call's result, or its image's error thrown. */
function orThrow<T>(o: T | CamanimError): T {
  if (o instanceof CamanimError) throw o;
  return o;
}

/** One perturbed image: its image, map, order and percentile, and its noise seed (from its index among its image's). */
interface Job {
  readonly image: number;
  readonly map: number;
  readonly order: Order;
  readonly p: number;
  readonly seed: number;
}

/**
 * ROAD of every map of every image. Jobs are laid out image by image, then map, percentile and
 * order; they are cut into chunks of `batch` across images, each perturbed image tiled from its own
 * batch item and scored against its own target and baseline. A job's numbers do not depend on its
 * chunk: its noise seed is its index among its image's jobs, and the imputation solves each system
 * to its own tolerance (imputation.ts). `onProgress` is called once per batched forward.
 */
async function roadMany(
  run: Run,
  images: readonly RoadImage[],
  opts: Omit<RoadOptions, 'item' | 'target'>,
): Promise<RoadOutcome[]> {
  const percentiles = opts.percentiles ?? DEFAULT_PERCENTILES;
  const { ties, percent, combine } = {
    ...DEFAULT_ROAD_CONVENTIONS,
    ...definedOnly({ ties: opts.ties, percent: opts.percent, combine: opts.combine }),
  };
  checkConventions(ties, percent, combine);
  checkPercentiles(percentiles);
  const model = run.model;
  const rt = model.runtime;
  if (!images.length) return [];
  const confs: Confidence[] = [];
  for (const im of images) confs.push(await confidenceOf(run, im.target, im.item, 'ROAD'));
  const {
    inputName,
    output,
    image: [c, H, W],
  } = confs[0];
  const ranked = images.map((im) => {
    try {
      return im.maps.map((m) => {
        if (m.cam.length !== H * W)
          throw new CamanimError('bad-input', `ROAD needs the CAM at input resolution (${H}x${W}), got ${m.cam.length} values`, {
            layer: m.name,
          });
        return prepareCam(m.cam, m.name);
      });
    } catch (e) {
      // This image's own fault; the others are still scored.
      if (isCamanimError(e) && e.code === 'bad-input') return e;
      throw e;
    }
  });
  const jobs: Job[] = [];
  const first: number[] = [];
  ranked.forEach((r, image) => {
    first.push(jobs.length);
    if (r instanceof CamanimError) return;
    let index = 0;
    r.forEach((_, map) =>
      percentiles.forEach((p) =>
        (['morf', 'lerf'] as const).forEach((order) =>
          jobs.push({ image, map, order, p, seed: noiseSeed(opts.seed ?? 0, index++) }),
        ),
      ),
    );
  });
  const scores = new Float64Array(jobs.length);
  const shares = new Float64Array(jobs.length);
  const batch = opts.batch ?? 16;
  const size = c * H * W;
  const input = jobs.length ? (await run.read(inputName)).data : new Float32Array(0);
  for (let start = 0; start < jobs.length; start += batch) {
    // Every chunk has the same batch size (the last one padded with repeats), so the forward and
    // imputation kernels, whose shapes are baked in, compile once.
    const real = jobs.slice(start, start + batch);
    const chunk = jobs.length > batch ? [...real, ...Array(batch - real.length).fill(real[real.length - 1])] : real;
    const masks = new Float32Array(chunk.length * H * W);
    const data = new Float32Array(chunk.length * size);
    chunk.forEach((j, k) => {
      const m = removalMask((ranked[j.image] as PreparedCam[])[j.map], j.order, j.p, ties, percent);
      if (k < real.length) shares[start + k] = removedShare(m);
      masks.set(m, k * H * W);
      const item = images[j.image].item;
      data.set(input.subarray(item * size, (item + 1) * size), k * size);
    });
    const tiled = rt.upload(data, [chunk.length, c, H, W], 'road:images');
    try {
      const imputed = await imputeBatch(rt, tiled, masks, { ...opts, seeds: chunk.map((j) => j.seed) });
      try {
        const r = await model.run(imputed.image, { retain: 'outputs' });
        const out = await r.read(output);
        r.dispose();
        const s = seedGradient(
          chunk.map((j) => confs[j.image].target),
          out.data,
          out.shape,
          output,
        ).scores;
        s.slice(0, real.length).forEach((v, k) => (scores[start + k] = v - confs[real[k].image].baseline));
      } finally {
        rt.release(imputed.image);
      }
    } finally {
      rt.release(tiled);
    }
    opts.onProgress?.(Math.min(jobs.length, start + batch), jobs.length);
  }
  return ranked.map((r, image) => {
    if (r instanceof CamanimError) return r;
    // Job (map, percentile k, order) of this image sits at first + (map·P + k)·2 + (0 MoRF, 1 LeRF).
    const at = (from: Float64Array, map: number, o: number) =>
      percentiles.map((_, k) => from[first[image] + (map * percentiles.length + k) * 2 + o]);
    const result = r.map((_, map) => {
      const morf = at(scores, map, 0);
      const lerf = at(scores, map, 1);
      const combined = percentiles.map((_, k) => (lerf[k] - morf[k]) / 2);
      const sum = combined.reduce((a, b) => a + b, 0);
      return {
        percentiles: [...percentiles],
        morf,
        lerf,
        combined,
        road: combine === 'mean' ? sum / combined.length : sum,
        removed: { morf: at(shares, map, 0), lerf: at(shares, map, 1) },
      };
    });
    return {
      scores: result,
      settings: {
        ties,
        percent,
        combine,
        percentiles: [...percentiles],
        noise: opts.noise ?? 0,
        seed: opts.seed ?? 0,
        target: confs[image].target,
      },
    };
  });
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function checkConventions(ties: string, percent: string, combine: string): void {
  const bad = (what: string, v: string, ok: string[]) => {
    if (!ok.includes(v))
      throw new CamanimError(
        'bad-input',
        `ROAD ${what} '${v}' is not one of ${ok.join(', ')}`,
        {},
        `Pass ${what}: ${ok.map((o) => `'${o}'`).join(' or ')}`,
      );
  };
  bad('ties', ties, ['threshold', 'rank']);
  bad('percent', percent, ['kept', 'removed']);
  bad('combine', combine, ['sum', 'mean']);
}
