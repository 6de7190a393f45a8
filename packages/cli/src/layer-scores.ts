/**
 * One CAM stack scored per layer, for `camanim explain --ybroad / --metrics` and `camanim metrics`:
 * ROAD (road.ts; computed once, whether --ybroad or --metrics road asked for it) and the metrics
 * beside it (metrics.ts), then their files — ybroad.json / .svg / .png and <id>.json / .svg / .png,
 * every JSON in one envelope (the contract, method, targets and layers).
 */
import type { YbRoad } from '@camanim/cam-methods';
import { describeContract, type ModelContract, type OutputActivation } from '@camanim/core';
import { metricFiles, scoreMetrics, type MetricScoring, type MetricsChoice, type ScoredMetric } from './metrics.ts';
import { roadChartPng, roadChartSvg, roadTargetKind, scoreLayers, type RoadChoice } from './road.ts';
import type { ChosenTarget } from './target.ts';

export interface LayerScores {
  readonly ybroad?: YbRoad;
  /** The metrics beside ROAD, in the order asked. */
  readonly metrics: readonly ScoredMetric[];
}

export interface StackScoring extends Omit<MetricScoring, 'target'> {
  readonly classIndex: number;
  readonly activation: OutputActivation;
  readonly road: RoadChoice;
  /** Names the stack in the progress lines (explain: the method id, as its other steps). */
  readonly label?: string;
}

/** ROAD where the choice lists it, then every other metric it lists; all on the confidence roadTargetKind gives. */
export async function scoreStack(s: StackScoring, choice: MetricsChoice): Promise<LayerScores> {
  const prefix = s.label ? `${s.label}: ` : '';
  const ybroad = choice.ids.includes('road')
    ? await scoreLayers(
        s.run,
        s.stack,
        s.classIndex,
        s.road,
        s.progress,
        s.activation,
        `${prefix}ybROAD over ${s.stack.layers.length} layers`,
      )
    : undefined;
  const target = { class: s.classIndex, kind: roadTargetKind(s.road, s.activation) };
  const metrics = await scoreMetrics({ run: s.run, stack: s.stack, target, cams: s.cams, progress: s.progress }, choice);
  return { ybroad, metrics };
}

export interface ScoredExplanation {
  readonly contract: ModelContract;
  readonly method: string;
  readonly target: ChosenTarget;
  /** The confidence the scores measure (roadTargetKind). */
  readonly confidence: string;
  readonly layers: readonly string[];
}

/**
 * The files of the scores: `title` ends every chart's title, `suffix` every file's name
 * (explain: '-<stem>' for all explanations but an image's first).
 */
export async function scoreFiles(
  scores: LayerScores,
  of: ScoredExplanation,
  title: string,
  suffix = '',
): Promise<{ name: string; data: string | Buffer }[]> {
  const envelope = {
    contract: { ...of.contract, summary: describeContract(of.contract) },
    method: of.method,
    target: { class: of.target.class, label: of.target.label, kind: of.confidence },
    camTarget: of.target.kind,
    layers: of.layers,
  };
  const road = scores.ybroad;
  const svg = road && roadChartSvg(road, `ybROAD · ${title}`);
  return [
    ...(road && svg
      ? [
          { name: `ybroad${suffix}.svg`, data: svg },
          { name: `ybroad${suffix}.png`, data: await roadChartPng(svg) },
          { name: `ybroad${suffix}.json`, data: `${JSON.stringify({ ...envelope, ybroad: road }, null, 2)}\n` },
        ]
      : []),
    ...(await metricFiles(scores.metrics, envelope, (m) => `${m.title} · ${title}`, suffix)),
  ];
}
