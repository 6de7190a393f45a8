/**
 * The metrics beside ybROAD in the CLI (`camanim metrics --metrics …`): which ones (parseMetricList),
 * scoring a CAM stack with cam-methods' per-layer metrics (scoreMetrics), their text tables, and the
 * files per metric — <id>.json in ybroad.json's envelope, <id>.svg / <id>.png through chart.ts.
 * ROAD itself stays road.ts's (scoreLayers, ybroad.json).
 */
import {
  type BundleMetric,
  camMultLayers,
  causalLayers,
  mprt,
  parameterNodes,
  type CamMultLayers,
  type CamOptions,
  type CamStack,
  type CausalLayers,
  type MprtResult,
} from '@camanim/cam-methods';
import type { Run, Target } from '@camanim/core';
import { chartPng, seriesChartSvg, type ChartSeries } from './chart.ts';
import { cliError } from './errors.ts';
import type { Progress } from './progress.ts';
import { table } from './table.ts';

export const METRIC_IDS = ['road', 'drop', 'increase', 'multconf', 'insertion', 'deletion', 'mprt'] as const;
export type MetricId = (typeof METRIC_IDS)[number];
/** The metrics scoreMetrics computes (ROAD is road.ts's). */
export type LayerMetricId = Exclude<MetricId, 'road'>;

export interface MetricsChoice {
  readonly ids: readonly MetricId[];
  /** Deletion / Insertion: pixels per step (default: the input's width, RISE's 224 on 224×224). */
  readonly step?: number;
  /** MPRT: seed of the randomised weights (default 42, Quantus's). */
  readonly mprtSeed?: number;
}

/** --metrics road,drop,…: known ids, each once, in the given order. */
export function parseMetricList(list: string, flag = '--metrics'): MetricId[] {
  const ids = list
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (!ids.length) throw cliError(`${flag} is empty`, {}, `For example ${flag} road,deletion,insertion`);
  for (const id of ids) {
    if (!(METRIC_IDS as readonly string[]).includes(id))
      throw cliError(`${flag}: unknown metric '${id}'`, {}, `Choose from ${METRIC_IDS.join(', ')}`);
  }
  return [...new Set(ids)] as MetricId[];
}

export interface MetricScoring {
  readonly run: Run;
  readonly stack: CamStack;
  /** The confidence every metric measures ({ class, kind: 'softmax' } unless the user asked otherwise). */
  readonly target: Target;
  /** How the stack was computed (MPRT recomputes it on each randomised model). */
  readonly cams: Omit<CamOptions, 'layers' | 'target' | 'onProgress'>;
  readonly progress: Progress;
}

export interface MapPair {
  readonly original: Float32Array;
  readonly randomised: Float32Array;
}

export interface ScoredMetric {
  readonly id: LayerMetricId;
  readonly title: string;
  /** cam-methods' result, as written to <id>.json. */
  readonly result: CamMultLayers | CausalLayers | MprtResult;
  readonly chart: ChartSeries;
  readonly text: string;
  /**
   * MPRT: per layer, the original map and the randomised one its chart value compares it with
   * (cam-methods' onDownstreamMap; undefined for a layer after every parameterised node), for
   * mprt-frames.ts' animation. Not part of <id>.json.
   */
  readonly mapPairs?: readonly (MapPair | undefined)[];
}

const TITLES: Record<LayerMetricId, { title: string; axis: string }> = {
  multconf: { title: 'CamMultImageConfidenceChange (pytorch-grad-cam)', axis: 'confidence change' },
  drop: { title: 'DropInConfidence (pytorch-grad-cam)', axis: 'drop in confidence' },
  increase: { title: 'IncreaseInConfidence (pytorch-grad-cam)', axis: 'increase (1 or 0)' },
  deletion: { title: 'Deletion AUC (RISE; lower is better)', axis: 'deletion AUC' },
  insertion: { title: 'Insertion AUC (RISE; higher is better)', axis: 'insertion AUC' },
  mprt: {
    title: 'MPRT: SSIM to the original map once the model after the layer is randomised (lower passes)',
    axis: 'SSIM (MPRT)',
  },
};

/** The layers whose batched forwards a fixed-batch model refuses are scored one image at a time. */
export async function withBatchFallback<T>(progress: Progress, what: string, score: (batch?: number) => Promise<T>): Promise<T> {
  try {
    return await score();
  } catch (e) {
    // Models exported with a fixed batch of 1 (a Reshape to [1, ...]) cannot take the batched perturbed images.
    if (!/Cannot reshape \[\d+, /.test((e as Error).message ?? '')) throw e;
    progress.notice(`${what}: the model only takes a batch of 1 (fixed Reshape); scoring the perturbed images one at a time`);
    return score(1);
  }
}

function series(id: LayerMetricId, values: readonly number[], names: readonly string[], lowerIsBetter: boolean): ChartSeries {
  const finite = values.map((v, k) => [v, k] as const).filter(([v]) => Number.isFinite(v));
  const best = finite.reduce((b, c) => ((lowerIsBetter ? c[0] < b[0] : c[0] > b[0]) ? c : b), finite[0] ?? [NaN, 0]);
  const mean = finite.reduce((a, [v]) => a + v, 0) / Math.max(1, finite.length);
  return {
    values,
    mean,
    mark: { layer: best[1], name: names[best[1]] ?? '', word: lowerIsBetter ? 'min' : 'max' },
    axis: TITLES[id].axis,
  };
}

const num = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : String(x));

function textOf(
  id: LayerMetricId,
  chart: ChartSeries,
  names: readonly string[],
  columns: Record<string, readonly number[]>,
  note: string,
): string {
  const keys = Object.keys(columns);
  const rows = names.map((n, k) => [
    String(k + 1),
    n,
    ...keys.map((c) => num(columns[c][k]) + (c === keys[0] && k === chart.mark.layer ? ' *' : '')),
  ]);
  const best = `${chart.mark.word} at layer ${chart.mark.layer + 1} (${chart.mark.name}) · mean ${num(chart.mean)}`;
  return `\n${TITLES[id].title}\n${table(['layer', 'name', ...keys], rows, [0])}${best}\n${note}\n`;
}

/** Every requested metric but ROAD, per layer of the stack; each computed once (drop/increase/multconf share one). */
export async function scoreMetrics(ctx: MetricScoring, choice: MetricsChoice): Promise<ScoredMetric[]> {
  const names = ctx.stack.layers.map((l) => l.name);
  const L = names.length;
  const onProgress = (step: { tick: (n?: number) => void }) => {
    let shown = 0;
    return (done: number, total: number) => {
      const now = Math.floor((done / total) * L);
      if (now > shown) step.tick(now - shown);
      shown = Math.max(shown, now);
    };
  };
  let mult: CamMultLayers | undefined;
  const out: ScoredMetric[] = [];
  for (const id of choice.ids) {
    if (id === 'road') continue;
    if (id === 'drop' || id === 'increase' || id === 'multconf') {
      mult ??= await ctx.progress.time(
        `CAM × image over ${L} layers`,
        (step) =>
          withBatchFallback(ctx.progress, 'CAM × image', (batch) =>
            camMultLayers(ctx.run, ctx.stack, { target: ctx.target, batch, onProgress: onProgress(step) }),
          ),
        L,
      );
      const key = ({ drop: 'drop', increase: 'increase', multconf: 'change' } as const)[id];
      const values = mult.series.map((s) => s[key]);
      const chart = series(id, values, names, id === 'drop');
      const note = `baseline ${num(mult.settings.baseline)} (the target's score on the image) · map ${mult.settings.map}`;
      out.push({
        id,
        title: TITLES[id].title,
        result: mult,
        chart,
        text: textOf(id, chart, names, { [key]: values, dropPercent: mult.series.map((s) => s.dropPercent) }, note),
      });
    } else if (id === 'deletion' || id === 'insertion') {
      const res = await ctx.progress.time(
        `${id} over ${L} layers`,
        (step) =>
          withBatchFallback(ctx.progress, id, (batch) =>
            causalLayers(ctx.run, ctx.stack, id, { target: ctx.target, step: choice.step, batch, onProgress: onProgress(step) }),
          ),
        L,
      );
      const values = res.series.map((s) => s.auc);
      const chart = series(id, values, names, id === 'deletion');
      const s = res.settings;
      out.push({
        id,
        title: TITLES[id].title,
        result: res,
        chart,
        text: textOf(
          id,
          chart,
          names,
          { auc: values },
          `${s.step} pixels per step · substrate ${s.substrate} · ties in raster order · map ${s.map}`,
        ),
      });
    } else {
      const steps = parameterNodes(ctx.run.model).length;
      const mapPairs: (MapPair | undefined)[] = names.map(() => undefined);
      const res = await ctx.progress.time(
        `MPRT: ${method(ctx)} after each of ${steps} randomised layers`,
        (step) =>
          mprt(ctx.run, ctx.stack, {
            ...ctx.cams,
            randomSeed: choice.mprtSeed,
            onProgress: () => step.tick(),
            onDownstreamMap: (l, randomised, original) => {
              mapPairs[l] = { original, randomised };
            },
          }),
        steps,
      );
      const chart = series(id, res.downstream.ssim, names, true);
      const last = res.ssim[res.ssim.length - 1] ?? [];
      const { randomSeed, map } = res.settings;
      const note = `${res.steps.length} parameterised nodes randomised top down · seed ${randomSeed} · map ${map}`;
      out.push({
        id,
        title: TITLES[id].title,
        result: res,
        chart,
        text: textOf(id, chart, names, { ssim: res.downstream.ssim, spearman: res.downstream.spearman, ssimAll: last }, note),
        mapPairs,
      });
    }
  }
  return out;
}

function method(ctx: MetricScoring): string {
  return typeof ctx.cams.method === 'string' ? ctx.cams.method : ctx.cams.method.id;
}

/** <id>.json (the envelope ybroad.json has, with the metric's result under its id), <id>.svg and <id>.png; `suffix` after each id. */
export async function metricFiles(
  scored: readonly ScoredMetric[],
  envelope: Record<string, unknown>,
  title: (m: ScoredMetric) => string,
  suffix = '',
): Promise<{ name: string; data: string | Buffer }[]> {
  const files: { name: string; data: string | Buffer }[] = [];
  for (const m of scored) {
    const svg = seriesChartSvg(m.chart, title(m));
    const name = `${m.id}${suffix}`;
    files.push({ name: `${name}.json`, data: `${JSON.stringify({ ...envelope, metric: m.id, [m.id]: m.result }, null, 2)}\n` });
    files.push({ name: `${name}.svg`, data: svg }, { name: `${name}.png`, data: await chartPng(svg) });
  }
  return files;
}

/**
 * The bundle's form (cam-methods' BundleMetric, what the viewer charts): one value per layer, null
 * where there is none (MPRT's similarities on a constant map: the chart leaves a gap), and which way is better.
 */
export function bundleMetrics(scored: readonly ScoredMetric[]): BundleMetric[] {
  return scored.map((m) => ({
    id: m.id,
    title: m.title,
    better: m.chart.mark.word === 'min' ? 'lower' : 'higher',
    values: m.chart.values.map((v) => (Number.isFinite(v) ? v : null)),
  }));
}
