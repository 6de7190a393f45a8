/** ybROAD pieces without a GPU: option parsing, the frame label, the chart, the table. */
import type { CamStack, YbRoad } from '@camanim/cam-methods';
import { describe, expect, it } from 'vitest';
import { parseRoadCommand } from '../src/args.ts';
import { frameText, type RenderContext } from '../src/render.ts';
import { parseRoad, roadChartSvg, roadSummary, roadTable } from '../src/road.ts';
import { ROAD_PRESETS } from '@camanim/cam-methods';

const score = (road: number) => ({
  percentiles: [20, 80],
  morf: [-road, -road],
  lerf: [0, 0],
  combined: [road / 2, road / 2],
  road,
});
const settings = {
  ties: 'threshold',
  percent: 'kept',
  combine: 'sum',
  percentiles: [20, 80],
  noise: 0,
  seed: 0,
  target: { class: 0, kind: 'softmax' },
  map: 'pytorch-grad-cam',
} as const;
const yb = {
  series: [score(0.1), score(0.5), score(0.3)],
  max: { layer: 1, name: 'b<&>', value: 0.5 },
  mean: 0.3,
  settings,
} as unknown as YbRoad;

describe('ybROAD options', () => {
  it('parses percentiles, noise and target; refuses non-numbers', () => {
    expect(parseRoad({})).toEqual({ percentiles: undefined, noise: undefined, target: 'softmax' });
    expect(parseRoad({ roadPercentiles: '10, 50', roadNoise: '0.02', roadTarget: 'logit' })).toEqual({
      percentiles: [10, 50],
      noise: 0.02,
      target: 'logit',
    });
    expect(() => parseRoad({ roadPercentiles: '10,x' })).toThrow(/--road-percentiles expects numbers/);
    expect(() => parseRoad({ roadNoise: '-1' })).toThrow(/--road-noise/);
    const o = parseRoadCommand({ method: 'GradCAM', layers: 'Conv', every: '2', percentiles: '30', maxPixels: '5000' });
    expect([o.method, o.layers, o.road.percentiles, o.target, o.maxPixels]).toEqual([
      'gradcam',
      { kinds: 'spatial', filter: 'Conv', every: 2 },
      [30],
      { kind: 'predicted' },
      5000,
    ]);
  });

  it('parses the conventions; --road-preset pytorch-grad-cam is ROADCombined over 10..90 and a flag beside it wins', () => {
    expect(parseRoad({ roadTies: 'rank', roadPercent: 'removed', roadCombine: 'mean' })).toMatchObject({
      ties: 'rank',
      percent: 'removed',
      combine: 'mean',
    });
    expect(parseRoad({ roadPreset: 'pytorch-grad-cam' })).toEqual({
      percentiles: [10, 20, 30, 40, 50, 60, 70, 80, 90],
      noise: 0.01,
      target: 'softmax',
      ties: 'threshold',
      percent: 'kept',
      combine: 'mean',
      map: 'pytorch-grad-cam',
      preset: 'pytorch-grad-cam',
    });
    expect(ROAD_PRESETS['pytorch-grad-cam'].percentiles).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(parseRoad({ roadPreset: 'pytorch-grad-cam', roadNoise: '0', roadTies: 'rank', roadPercentiles: '50' })).toMatchObject({
      noise: 0,
      ties: 'rank',
      percentiles: [50],
      combine: 'mean',
    });
    expect(parseRoad({ roadPreset: 'camanim-rank' })).toMatchObject({
      ties: 'rank',
      percent: 'removed',
      combine: 'sum',
      map: 'upsampled',
      percentiles: [20, 40, 60, 80],
    });
    expect(() => parseRoad({ roadTies: 'exact' })).toThrow(/--road-ties expects one of threshold, rank, got 'exact'/);
    expect(() => parseRoad({ roadPreset: 'quantus' })).toThrow(/--road-preset expects one of pytorch-grad-cam, camanim-rank/);
    const o = parseRoadCommand({
      method: 'gradcam',
      layers: 'spatial',
      maxPixels: '5000',
      percentiles: '30',
      roadPreset: 'pytorch-grad-cam',
      roadCombine: 'sum',
    });
    expect(o.road).toMatchObject({ percentiles: [30], combine: 'sum', ties: 'threshold', noise: 0.01 });
  });
});

describe('ybROAD output', () => {
  it('labels each frame with its ROAD and marks the best layer', () => {
    const stack = {
      layers: ['a', 'b', 'c'].map((name) => ({ name, opType: 'Conv', shape: [1, 4, 2, 2] })),
    } as unknown as CamStack;
    const ctx = { modelShapes: new Map() } as unknown as RenderContext;
    expect(frameText(ctx, stack, 0, '', yb).title).toBe('layer 1/3 · Conv · [1, 4, 2, 2] · ROAD 0.100');
    expect(frameText(ctx, stack, 1, '', yb).title).toBe('layer 2/3 · Conv · [1, 4, 2, 2] · ROAD 0.500 ★ ybROAD_max');
    expect(frameText(ctx, stack, 1, '').title).toBe('layer 2/3 · Conv · [1, 4, 2, 2]');
  });

  it('charts the series with the max named, the mean dashed and axis labels (escaped)', () => {
    const svg = roadChartSvg(yb, 'title');
    expect(svg.match(/<circle /g)!.length).toBe(4); // 3 points + the max ring
    expect(svg).toContain('max 0.500 · layer 2 · b&lt;&amp;&gt;');
    expect(svg).toMatch(/data-role="mean"[^>]*stroke-dasharray/);
    expect(svg).toContain('>ROAD</text>');
    expect(svg).toContain('>layer (index in the animation)</text>');
    expect(
      roadChartSvg({ series: [score(0)], max: { layer: 0, name: 'x', value: 0 }, mean: 0, settings } as unknown as YbRoad, 't'),
    ).not.toContain('NaN');
  });

  it('ticks at nice numbers covering the series, and the max label inside the plot wherever the max is', () => {
    const series = [1.82, 1.26, 0.704, 0.31, 1.1];
    const chart = (max: number) =>
      roadChartSvg(
        {
          series: series.map(score),
          max: { layer: max, name: '/stages/stages.3/stages.3.1/conv2/Conv_output_0 and a long tail', value: series[max] },
          mean: 1.04,
          settings,
        } as unknown as YbRoad,
        't',
      );
    const svg = chart(0);
    const ticks = [...svg.matchAll(/data-role="tick">([^<]+)</g)].map((m) => m[1]);
    expect(ticks).toEqual(['0.0', '0.5', '1.0', '1.5', '2.0']);
    for (const max of [0, 1, 2, 3, 4]) {
      const m = /<text x="([\d.]+)"[^>]*text-anchor="(start|end)"[^>]*data-role="max-label">([^<]+)</.exec(chart(max))!;
      const [x, anchor, label] = [Number(m[1]), m[2], m[3].replace(/&[a-z]+;/g, '&')];
      // 0.602 em a character (frames.ts' fit): the label's extent stays within the plot [70, 700].
      const w = label.length * 11 * 0.602;
      const [from, to] = anchor === 'start' ? [x, x + w] : [x - w, x];
      expect(from, `max at ${max}`).toBeGreaterThanOrEqual(70);
      expect(to, `max at ${max}`).toBeLessThanOrEqual(700);
    }
  });

  it('tabulates MoRF/LeRF per percentile and ROAD, star on the max', () => {
    const t = roadTable(yb, ['a', 'b', 'c']).split('\n');
    expect(t[0]).toMatch(/^layer\s+name\s+MoRF20\s+MoRF80\s+LeRF20\s+LeRF80\s+ROAD$/);
    expect(t[3]).toMatch(/^\s*2\s+b\s+-0\.5000\s+-0\.5000\s+0\.0000\s+0\.0000\s+0\.5000 \*$/);
    expect(roadSummary(yb)).toBe(
      'ybROAD_max: 0.5000 at layer 2 (b<&>)\nybROAD_mean: 0.3000\nROAD conventions: ties threshold · p kept · sum over p (20, 80) · noise 0 · map pytorch-grad-cam\n',
    );
  });
});
