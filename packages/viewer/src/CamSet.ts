/**
 * What the viewer shows, from a bundle or from a computation in the page: every layer's CAM
 * (raw, before ReLU and normalization) at layer and at input resolution, the input image the
 * model saw (a video's frames, each layer then holding a map per frame), the prediction and,
 * when present, the ybROAD series.
 */
import {
  range,
  targetKindSuffix,
  type BundleMetric,
  type Normalization,
  type TargetKind,
  type YbRoad,
} from '@camanim/cam-methods';
import type { ModelContract } from './ModelContract.ts';
import type { RgbImage } from './RgbImage.ts';

export interface CamLayerView {
  /** Position in the stack (0-based). */
  readonly index: number;
  readonly name: string;
  readonly opType: string;
  /** The layer output's shape in the model. */
  readonly shape: readonly number[];
  /** [h, w] of the map at layer resolution. */
  readonly mapShape: readonly [number, number];
  /** [h·w] raw CAM at layer resolution ([T'·h·w] for a video or volume layer: a map per frame, frame after frame). */
  readonly raw: Float32Array;
  /** [H·W] raw CAM bilinearly upsampled to the input size ([T·H·W] for a video: a map per input frame, frame after frame). */
  readonly upsampled: Float32Array;
}

export interface Prediction {
  readonly class: number;
  readonly label: string;
  readonly probability: number;
  readonly logit?: number;
}

export interface YbRoadView {
  /** ROAD per layer, in stack order. */
  readonly values: readonly number[];
  /** The best layer (stack index) and its ROAD. */
  readonly max: { readonly layer: number; readonly value: number };
  readonly mean: number;
  /** Per layer, C(p) = score change with the most (MoRF) or least (LeRF) relevant pixels removed, at each percentile p. */
  readonly percentiles: readonly number[];
  readonly morf: readonly (readonly number[])[];
  readonly lerf: readonly (readonly number[])[];
}

/** cam-methods' YbRoad as the chart shows it. */
export function ybroadView(y: YbRoad): YbRoadView {
  return {
    values: y.series.map((s) => s.road),
    max: { layer: y.max.layer, value: y.series[y.max.layer].road },
    mean: y.mean,
    percentiles: y.series[0]?.percentiles ?? [],
    morf: y.series.map((s) => s.morf),
    lerf: y.series.map((s) => s.lerf),
  };
}

/** A per-layer metric the chart can show: ROAD (from ybROAD, with MoRF/LeRF per percentile) or one of the bundle's others. */
export interface MetricView {
  readonly id: string;
  readonly title: string;
  readonly better: 'higher' | 'lower';
  /** Per layer; null where the layer has no value (MPRT on a constant map: a gap in the chart). */
  readonly values: readonly (number | null)[];
  /** The layer marked best: ybROAD's own max, else the best value (-1 when no layer has one). */
  readonly best: number;
  readonly road?: YbRoadView;
}

export interface CamTarget {
  readonly class: number;
  readonly label: string;
  readonly kind: TargetKind;
  /** A task's own wording (the bundle's target.caption: "box #0 person 0.912 · Σ scores 0.912"). */
  readonly caption?: string;
}

/** "Bag (class 8)", and " · ReST target" unless the logit is explained (the CLI's frame wording); a task's target as the CLI says it. */
export function targetCaption(t: CamTarget): string {
  if (t.caption) return t.caption;
  return `${t.label} (class ${t.class})${targetKindSuffix(t.kind)}`;
}

export interface CamSetInfo {
  /** Where it came from ("bundle https://…", "computed in the page"). */
  readonly source: string;
  readonly model: string;
  readonly method: string;
  /** Other explanations in the same bundle ("gradcam", "hirescam", "gradcam · class 3"). */
  readonly alternatives: readonly { id: string; title: string }[];
  /** `kind`: the score explained ('logit' for bundles from before it was recorded). */
  readonly target: CamTarget;
  /** The target's value (the logit, probability or ReST). */
  readonly score: number;
  readonly probability?: number;
  /** Why the chart is empty, when there is no ybROAD. */
  readonly ybroadNote?: string;
  /** How the image became the model's input and what was explained (bundles from before it lack it). */
  readonly contract?: ModelContract;
}

export interface Stage {
  readonly index: number;
  /** First and last layer (inclusive) of the stage. */
  readonly first: number;
  readonly last: number;
  readonly mapShape: readonly [number, number];
}

export class CamSet {
  private readonly rangeCache = new Map<Normalization, { min: number; max: number }[]>();

  constructor(
    readonly info: CamSetInfo,
    readonly layers: readonly CamLayerView[],
    /** The input as the model saw it (H×W). */
    readonly image: RgbImage,
    readonly prediction: readonly Prediction[],
    readonly ybroad?: YbRoadView,
    /** The bundle's other per-layer metrics. */
    readonly others: readonly BundleMetric[] = [],
    /** A video's T input frames as the model saw them (`image` is the first); one for an image. */
    readonly images: readonly RgbImage[] = [image],
  ) {}

  /** Input frames: T for a video or volume (every layer's map has one per frame), 1 for an image. */
  get frames(): number {
    return this.images.length;
  }

  /** Layer k's map at input resolution in input frame t (H·W, a view into `upsampled`). */
  inputMap(k: number, t: number): Float32Array {
    const n = this.width * this.height;
    return this.layers[k].upsampled.subarray(t * n, (t + 1) * n);
  }

  /** Every metric to chart: ROAD first when there is a ybROAD, then the others in the bundle's order. */
  get metrics(): MetricView[] {
    const yb = this.ybroad;
    const road: MetricView[] = yb
      ? [{ id: 'road', title: 'ybROAD · ROAD per layer', better: 'higher', values: yb.values, best: yb.max.layer, road: yb }]
      : [];
    return [
      ...road,
      ...this.others.map((m) => {
        const sign = m.better === 'higher' ? 1 : -1;
        const best = m.values.reduce<number>((b, v, k) => (v !== null && (b < 0 || sign * v > sign * m.values[b]!) ? k : b), -1);
        return { id: m.id, title: m.title, better: m.better, values: m.values, best };
      }),
    ];
  }

  get height(): number {
    return this.image.height;
  }

  get width(): number {
    return this.image.width;
  }

  /**
   * Per layer, the range that maps onto [0, 1] after ReLU (CAManim's normalization, as
   * cam-methods' normalizeMaps): the layer's own, or one over all layers (a video's over all its frames).
   */
  ranges(mode: Normalization): readonly { min: number; max: number }[] {
    let r = this.rangeCache.get(mode);
    if (!r) {
      const local = this.layers.map((l) => {
        const { min, max } = range(l.upsampled);
        return { min: Math.max(0, min), max: Math.max(0, max) };
      });
      const all = local.reduce((a, x) => ({ min: Math.min(a.min, x.min), max: Math.max(a.max, x.max) }), {
        min: Infinity,
        max: -Infinity,
      });
      r = mode === 'local' ? local : local.map(() => all);
      this.rangeCache.set(mode, r);
    }
    return r;
  }

  /** Runs of consecutive layers with the same map resolution. */
  stages(): Stage[] {
    const stages: Stage[] = [];
    for (const l of this.layers) {
      const last = stages[stages.length - 1];
      if (last && last.mapShape[0] === l.mapShape[0] && last.mapShape[1] === l.mapShape[1]) {
        stages[stages.length - 1] = { ...last, last: l.index };
      } else {
        stages.push({ index: stages.length, first: l.index, last: l.index, mapShape: l.mapShape });
      }
    }
    return stages;
  }
}

/** Per explanation its ranges; under global normalization one range over all of them (side by side: one colour scale). */
export function sharedRanges(sets: readonly CamSet[], mode: Normalization): (readonly { min: number; max: number }[])[] {
  const own = sets.map((s) => s.ranges(mode));
  if (mode === 'local' || sets.length < 2) return own;
  const all = own
    .flat()
    .reduce((a, x) => ({ min: Math.min(a.min, x.min), max: Math.max(a.max, x.max) }), { min: Infinity, max: -Infinity });
  return own.map((r) => r.map(() => all));
}
