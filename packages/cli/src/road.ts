/**
 * ybROAD in the CLI: score every layer's CAM with cam-methods' ybroad (ROAD per layer, its max
 * and mean), option parsing shared by `explain --ybroad` and `camanim road`, the chart
 * (chart.ts) and the text table.
 */
import {
  ROAD_PRESETS,
  ybroadImages,
  type CamStack,
  type PercentReading,
  type RoadCombine,
  type RoadMap,
  type RoadPreset,
  type TieRule,
  type YbRoad,
} from '@camanim/cam-methods';
import type { CamanimError, OutputActivation, Run } from '@camanim/core';
import { cliError } from './errors.ts';
import { seriesChartSvg } from './chart.ts';
import { withBatchFallback } from './metrics.ts';
import type { Progress } from './progress.ts';
import { table } from './table.ts';

export interface RoadChoice {
  readonly percentiles?: readonly number[];
  readonly noise?: number;
  readonly target: 'softmax' | 'logit';
  /** Conventions (cam-methods' defaults when absent: threshold ties, p kept, sum). */
  readonly ties?: TieRule;
  readonly percent?: PercentReading;
  readonly combine?: RoadCombine;
  readonly map?: RoadMap;
  readonly preset?: RoadPreset;
}

export interface RawRoadFlags {
  roadPercentiles?: string;
  roadNoise?: string;
  roadTarget?: string;
  roadTies?: string;
  roadPercent?: string;
  roadCombine?: string;
  roadPreset?: string;
}

/** The --road-* flags' choices (args.ts lists them; parseRoad checks them too, for callers without commander). */
export const ROAD_FLAG_CHOICES = {
  ties: ['threshold', 'rank'],
  percent: ['kept', 'removed'],
  combine: ['sum', 'mean'],
  preset: Object.keys(ROAD_PRESETS),
} as const;

/**
 * Parses --road-percentiles / --road-noise / --road-target / --road-ties / --road-percent /
 * --road-combine / --road-preset. A preset sets percentiles, noise, ties, percent, combine and the
 * map; a flag given beside it wins. Range checks are cam-methods' (they throw its errors).
 */
export function parseRoad(raw: RawRoadFlags): RoadChoice {
  const percentiles =
    raw.roadPercentiles === undefined
      ? undefined
      : raw.roadPercentiles
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
          .map((p) => {
            const v = Number(p);
            if (!Number.isFinite(v))
              throw cliError(`--road-percentiles expects numbers, got '${p}'`, {}, 'For example --road-percentiles 20,40,60,80');
            return v;
          });
  if (percentiles && percentiles.length === 0)
    throw cliError('--road-percentiles is empty', {}, 'For example --road-percentiles 20,40,60,80');
  let noise: number | undefined;
  if (raw.roadNoise !== undefined) {
    noise = Number(raw.roadNoise);
    if (raw.roadNoise.trim() === '' || !Number.isFinite(noise) || noise < 0)
      throw cliError(`--road-noise expects a number ≥ 0, got '${raw.roadNoise}'`, {}, 'For example --road-noise 0.01');
  }
  const target = (raw.roadTarget ?? 'softmax') as RoadChoice['target'];
  const pick = <K extends keyof typeof ROAD_FLAG_CHOICES>(flag: string, key: K, v: string | undefined) => {
    if (v === undefined) return undefined;
    const ok = ROAD_FLAG_CHOICES[key] as readonly string[];
    if (!ok.includes(v))
      throw cliError(`${flag} expects one of ${ok.join(', ')}, got '${v}'`, {}, `For example ${flag} ${ok[0]}`);
    return v as (typeof ROAD_FLAG_CHOICES)[K][number];
  };
  const preset = pick('--road-preset', 'preset', raw.roadPreset) as RoadPreset | undefined;
  const base = preset ? ROAD_PRESETS[preset] : undefined;
  const choice: RoadChoice = {
    percentiles: percentiles ?? base?.percentiles,
    noise: noise ?? base?.noise,
    target,
    ties: pick('--road-ties', 'ties', raw.roadTies) ?? base?.ties,
    percent: pick('--road-percent', 'percent', raw.roadPercent) ?? base?.percent,
    combine: pick('--road-combine', 'combine', raw.roadCombine) ?? base?.combine,
    map: base?.map,
    preset,
  };
  return choice;
}

/** The confidence ROAD measures: the model's own probability, σ of the class for a Sigmoid (multi-label) model. */
export function roadTargetKind(choice: RoadChoice, activation: OutputActivation): 'softmax' | 'sigmoid' | 'logit' {
  return choice.target === 'softmax' && activation === 'sigmoid' ? 'sigmoid' : choice.target;
}

/** ybROAD of one CAM stack, with a progress bar over its layers: the one-image case of scoreImagesLayers. */
export async function scoreLayers(
  run: Run,
  stack: CamStack,
  classIndex: number,
  choice: RoadChoice,
  progress: Progress,
  activation: OutputActivation,
  label: string,
  item = 0,
): Promise<YbRoad> {
  const [one] = await scoreImagesLayers(run, [{ stack, classIndex, item }], choice, progress, activation, label);
  if (one instanceof Error) throw one;
  return one;
}

/**
 * ybROAD of several images' CAM stacks (batch items of one run) in the same perturbed forwards
 * (cam-methods' ybroadImages), with one progress bar over all their layers. An image whose CAM is
 * constant gets its bad-input error in its place.
 */
export async function scoreImagesLayers(
  run: Run,
  images: readonly { readonly stack: CamStack; readonly classIndex: number; readonly item: number }[],
  choice: RoadChoice,
  progress: Progress,
  activation: OutputActivation,
  label: string,
): Promise<(YbRoad | CamanimError)[]> {
  const L = images.reduce((a, im) => a + im.stack.layers.length, 0);
  const kind = roadTargetKind(choice, activation);
  return progress.time(
    label,
    async (step) => {
      let shown = 0;
      const score = (batch?: number) =>
        ybroadImages(
          run,
          images.map((im) => ({ stack: im.stack, item: im.item, target: { class: im.classIndex, kind } })),
          {
            percentiles: choice.percentiles,
            noise: choice.noise,
            ties: choice.ties,
            percent: choice.percent,
            combine: choice.combine,
            map: choice.map,
            batch,
            onProgress: (done, total) => {
              const layers = Math.floor((done / total) * L);
              if (layers > shown) step.tick(layers - shown);
              shown = Math.max(shown, layers);
            },
          },
        );
      return withBatchFallback(progress, 'ROAD', score);
    },
    L,
  );
}

/** The manifest form: cam-methods' YbRoad as plain JSON (what the viewer reads). */
export function ybroadJson(y: YbRoad): YbRoad {
  return JSON.parse(JSON.stringify(y)) as YbRoad;
}

/** Table of a ybROAD: layer index, name, MoRF/LeRF per percentile, ROAD. */
export function roadTable(y: YbRoad, names: readonly string[]): string {
  const ps = y.series[0]?.percentiles ?? [];
  const header = ['layer', 'name', ...ps.map((p) => `MoRF${p}`), ...ps.map((p) => `LeRF${p}`), 'ROAD'];
  const rows = y.series.map((s, k) => [
    String(k + 1),
    names[k] ?? '',
    ...s.morf.map(num),
    ...s.lerf.map(num),
    num(s.road) + (k === y.max.layer ? ' *' : ''),
  ]);
  return table(header, rows, [0]);
}

export function roadSummary(y: YbRoad): string {
  return (
    `ybROAD_max: ${num(y.max.value)} at layer ${y.max.layer + 1} (${y.max.name})\nybROAD_mean: ${num(y.mean)}\n` +
    (y.settings ? `${roadSettingsLine(y)}\n` : '')
  );
}

/** One line naming the conventions a ybROAD used (docs/cam-conventions.md, ROAD). */
export function roadSettingsLine(y: YbRoad): string {
  const s = y.settings;
  return `ROAD conventions: ties ${s.ties} · p ${s.percent} · ${s.combine} over p (${s.percentiles.join(', ')}) · noise ${s.noise} · map ${s.map ?? 'upsampled'}`;
}

function num(x: number): string {
  return Number.isFinite(x) ? x.toFixed(4) : String(x);
}

/** The ybROAD chart: ROAD per layer, the best layer marked. */
export function roadChartSvg(y: YbRoad, title: string, width = 720, height = 400): string {
  return seriesChartSvg(
    {
      values: y.series.map((s) => s.road),
      mean: y.mean,
      mark: { layer: y.max.layer, name: y.max.name, word: 'max' },
      axis: 'ROAD',
    },
    title,
    width,
    height,
  );
}

export { chartPng as roadChartPng } from './chart.ts';
