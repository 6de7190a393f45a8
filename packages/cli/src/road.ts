/**
 * ybROAD in the CLI: score every layer's CAM with cam-methods' ybroad (ROAD per layer, its max
 * and mean), option parsing shared by `explain --ybroad` and `camanim road`, the chart
 * (SVG, rendered to PNG by sharp) and the text table.
 */
import { niceTicks, ROAD_PRESETS, ybroad, type CamStack, type PercentReading, type RoadCombine, type RoadMap, type RoadPreset, type TieRule, type YbRoad } from '@camanim/cam-methods';
import type { Run } from '@camanim/core';
import sharp from 'sharp';
import { cliError } from './errors.ts';
import { escapeXml, fit, fmt } from './frames.ts';
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
  const percentiles = raw.roadPercentiles === undefined ? undefined : raw.roadPercentiles.split(',').map((s) => s.trim()).filter(Boolean).map((p) => {
    const v = Number(p);
    if (!Number.isFinite(v)) throw cliError(`--road-percentiles expects numbers, got '${p}'`, {}, 'For example --road-percentiles 20,40,60,80');
    return v;
  });
  if (percentiles && percentiles.length === 0) throw cliError('--road-percentiles is empty', {}, 'For example --road-percentiles 20,40,60,80');
  let noise: number | undefined;
  if (raw.roadNoise !== undefined) {
    noise = Number(raw.roadNoise);
    if (raw.roadNoise.trim() === '' || !Number.isFinite(noise) || noise < 0) throw cliError(`--road-noise expects a number ≥ 0, got '${raw.roadNoise}'`, {}, 'For example --road-noise 0.01');
  }
  const target = (raw.roadTarget ?? 'softmax') as RoadChoice['target'];
  const pick = <K extends keyof typeof ROAD_FLAG_CHOICES>(flag: string, key: K, v: string | undefined) => {
    if (v === undefined) return undefined;
    const ok = ROAD_FLAG_CHOICES[key] as readonly string[];
    if (!ok.includes(v)) throw cliError(`${flag} expects one of ${ok.join(', ')}, got '${v}'`, {}, `For example ${flag} ${ok[0]}`);
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

/** ybROAD of one CAM stack, with a progress bar over its layers. */
export async function scoreLayers(run: Run, stack: CamStack, classIndex: number, choice: RoadChoice, progress: Progress, label: string): Promise<YbRoad> {
  const L = stack.layers.length;
  return progress.time(label, async (step) => {
    let shown = 0;
    const score = (batch?: number) => ybroad(run, stack, {
      percentiles: choice.percentiles,
      noise: choice.noise,
      ties: choice.ties,
      percent: choice.percent,
      combine: choice.combine,
      map: choice.map,
      batch,
      target: { class: classIndex, kind: choice.target },
      onProgress: (done, total) => {
        const layers = Math.floor((done / total) * L);
        if (layers > shown) step.tick(layers - shown);
        shown = Math.max(shown, layers);
      },
    });
    try {
      return await score();
    } catch (e) {
      // Models exported with a fixed batch of 1 (a Reshape to [1, ...]) cannot take the
      // batched perturbed images: score them one at a time instead.
      if (!/Cannot reshape \[\d+, /.test((e as Error).message ?? '')) throw e;
      progress.notice('ROAD: the model only takes a batch of 1 (fixed Reshape); scoring the perturbed images one at a time');
      return score(1);
    }
  }, L);
}

/** The manifest form: cam-methods' YbRoad as plain JSON (what the viewer reads). */
export function ybroadJson(y: YbRoad): YbRoad {
  return JSON.parse(JSON.stringify(y)) as YbRoad;
}

/** Table of a ybROAD: layer index, name, MoRF/LeRF per percentile, ROAD. */
export function roadTable(y: YbRoad, names: readonly string[]): string {
  const ps = y.series[0]?.percentiles ?? [];
  const header = ['layer', 'name', ...ps.map((p) => `MoRF${p}`), ...ps.map((p) => `LeRF${p}`), 'ROAD'];
  const rows = y.series.map((s, k) => [String(k + 1), names[k] ?? '', ...s.morf.map(num), ...s.lerf.map(num), num(s.road) + (k === y.max.layer ? ' *' : '')]);
  return table(header, rows, [0]);
}

export function roadSummary(y: YbRoad): string {
  return `ybROAD_max: ${num(y.max.value)} at layer ${y.max.layer + 1} (${y.max.name})\nybROAD_mean: ${num(y.mean)}\n` + (y.settings ? `${roadSettingsLine(y)}\n` : '');
}

/** One line naming the conventions a ybROAD used (docs/cam-conventions.md, ROAD). */
export function roadSettingsLine(y: YbRoad): string {
  const s = y.settings;
  return `ROAD conventions: ties ${s.ties} · p ${s.percent} · ${s.combine} over p (${s.percentiles.join(', ')}) · noise ${s.noise} · map ${s.map ?? 'upsampled'}`;
}

function num(x: number): string {
  return Number.isFinite(x) ? x.toFixed(4) : String(x);
}

const FONT = "'DejaVu Sans', 'Liberation Sans', sans-serif";

/** Line/point chart: layer index on x, ROAD on y, the max marked and named, the mean dashed. */
export function roadChartSvg(y: YbRoad, title: string, width = 720, height = 400): string {
  const values = y.series.map((s) => s.road);
  const n = values.length;
  const left = 70;
  const right = 20;
  const top = 40;
  const bottom = 56;
  const pw = width - left - right;
  const ph = height - top - bottom;
  // The axis runs between nice ticks that cover the series, its mean and 0.
  const ticks = niceTicks(Math.min(0, ...values, y.mean), Math.max(0, ...values, y.mean));
  const lo = ticks.values[0];
  const hi = ticks.values[ticks.values.length - 1];
  const X = (k: number) => left + (n <= 1 ? pw / 2 : (k * pw) / (n - 1));
  const Y = (v: number) => top + ((hi - v) / (hi - lo)) * ph;
  const el: string[] = [];
  const text = (x: number, yy: number, s: string, size = 12, anchor = 'start', fill = '#222', extra = '') =>
    el.push(`<text x="${x.toFixed(1)}" y="${yy.toFixed(1)}" font-family="${FONT}" font-size="${size}" text-anchor="${anchor}" fill="${fill}"${extra}>${escapeXml(s)}</text>`);
  el.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  text(width / 2, 24, fit(title, width - 20, 14), 14, 'middle', '#111', ' font-weight="bold"');
  // Y ticks and grid.
  for (const v of ticks.values) {
    const yy = Y(v);
    el.push(`<line x1="${left}" y1="${yy.toFixed(1)}" x2="${left + pw}" y2="${yy.toFixed(1)}" stroke="#e4e4e4"/>`);
    text(left - 6, yy + 4, v.toFixed(ticks.decimals), 11, 'end', '#555', ' data-role="tick"');
  }
  if (lo < 0 && hi > 0) el.push(`<line x1="${left}" y1="${Y(0).toFixed(1)}" x2="${left + pw}" y2="${Y(0).toFixed(1)}" stroke="#999"/>`);
  // X ticks (1-based layer index, as in the frame captions).
  const stepX = Math.max(1, Math.ceil(n / 12));
  for (let k = 0; k < n; k += stepX) text(X(k), top + ph + 16, String(k + 1), 11, 'middle', '#555');
  el.push(`<rect x="${left}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  // Mean rule.
  el.push(`<line data-role="mean" x1="${left}" y1="${Y(y.mean).toFixed(1)}" x2="${left + pw}" y2="${Y(y.mean).toFixed(1)}" stroke="#888" stroke-dasharray="6 4"/>`);
  text(left + pw - 4, Y(y.mean) - 4, `mean ${fmt(y.mean)}`, 11, 'end', '#666');
  // Series.
  if (n > 1) el.push(`<polyline data-role="series" fill="none" stroke="#1f77b4" stroke-width="2" points="${values.map((v, k) => `${X(k).toFixed(1)},${Y(v).toFixed(1)}`).join(' ')}"/>`);
  values.forEach((v, k) => el.push(`<circle cx="${X(k).toFixed(1)}" cy="${Y(v).toFixed(1)}" r="3" fill="#1f77b4"/>`));
  // Max.
  const m = y.max.layer;
  if (values[m] !== undefined) {
    el.push(`<circle data-role="max" cx="${X(m).toFixed(1)}" cy="${Y(values[m]).toFixed(1)}" r="6" fill="none" stroke="#d62728" stroke-width="2.5"/>`);
    // On the side of the ring with more room, shortened to the room there: never past the plot.
    const room = { start: left + pw - (X(m) + 9) - 4, end: X(m) - 9 - left - 4 };
    const anchor = room.start >= room.end ? 'start' : 'end';
    const label = fit(`max ${fmt(values[m])} · layer ${m + 1} · ${y.max.name}`, room[anchor], 11);
    text(X(m) + (anchor === 'end' ? -9 : 9), Math.max(top + 12, Y(values[m]) - 8), label, 11, anchor, '#d62728', ' data-role="max-label"');
  }
  text(left + pw / 2, height - 14, 'layer (index in the animation)', 12, 'middle', '#222');
  el.push(`<text x="18" y="${(top + ph / 2).toFixed(1)}" font-family="${FONT}" font-size="12" text-anchor="middle" fill="#222" transform="rotate(-90 18 ${(top + ph / 2).toFixed(1)})">ROAD</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${el.join('')}</svg>\n`;
}

export function roadChartPng(svg: string): Promise<Buffer> {
  return sharp(Buffer.from(svg)).png().toBuffer();
}
