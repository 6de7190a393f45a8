/**
 * One image's explanations, from its forward: for every target and CAM method, the CAMs of the
 * method's layers (cam-methods' computeCams: one backward), the stack's scores (layer-scores.ts)
 * and, for Guided Grad-CAM, the guided backpropagation. `camanim explain` runs it per image,
 * `camanim metrics` with one method and one target.
 */
import {
  computeCams,
  guidedBackprop,
  smoothingSuffix,
  type CamMethod,
  type CamOptions,
  type CamStack,
  type LayerInfo,
} from '@camanim/cam-methods';
import type { OutputActivation, Run } from '@camanim/core';
import { scoreStack } from '../layer-scores.ts';
import type { MetricsChoice } from '../metrics.ts';
import type { Progress } from '../progress.ts';
import type { Explanation } from '../render.ts';
import type { RoadChoice } from '../road.ts';
import { sanitizeName } from '../staging.ts';
import { saturationWarning, type ChosenTarget } from '../target.ts';
import type { Task } from '../task.ts';

/** How every stack is computed and scored: the same for each target and image of a run. */
export interface ExplainSettings extends Pick<CamOptions, 'eigenSmooth' | 'augSmooth' | 'options'> {
  readonly methods: readonly CamMethod[];
  /** Each method's layers, by method id (cam-methods' layersFor). */
  readonly layers: ReadonlyMap<string, readonly LayerInfo[]>;
  readonly task: Task;
  readonly activation: OutputActivation;
  readonly road: RoadChoice;
  /** The metrics each stack is scored with (none: no scores). */
  readonly scoring: MetricsChoice;
  readonly progress: Progress;
}

export interface Explained {
  /** Per target, per method, in that order. */
  readonly explanations: Explanation[];
  /** A target whose CAMs saturate (target.ts' saturationWarning), once per stack. */
  readonly warnings: string[];
}

export async function explainTargets(run: Run, targets: readonly ChosenTarget[], s: ExplainSettings): Promise<Explained> {
  const explanations: Explanation[] = [];
  const warnings: string[] = [];
  const cams = { eigenSmooth: s.eigenSmooth, augSmooth: s.augSmooth, options: s.options };
  for (const target of targets) {
    for (const method of s.methods) {
      const layers = s.layers.get(method.id)!;
      const camTarget = s.task.camTarget(target);
      const stack = await s.progress.time(
        `${method.id}: backward + ${layers.length} CAMs`,
        (step) => computeCams(run, { method, ...cams, target: camTarget, layers, onProgress: () => step.tick() }),
        layers.length,
      );
      const saturated = saturationWarning(target, maxAbsCam(stack));
      if (saturated) warnings.push(saturated);
      const scores = await scoreStack(
        {
          run,
          stack,
          classIndex: target.class,
          activation: s.activation,
          road: s.road,
          cams: { method, ...cams },
          progress: s.progress,
          label: method.id,
        },
        s.scoring,
      );
      explanations.push({
        stem: sanitizeName(method.id) + (targets.length > 1 ? `-class${target.class}` : ''),
        methodId: method.id,
        methodTitle: method.title + smoothingSuffix(s),
        target,
        stack,
        ybroad: scores.ybroad,
        metrics: scores.metrics,
        guided: method.id === 'guided-gradcam' ? await guidedBackprop(run, camTarget) : undefined,
      });
    }
  }
  return { explanations, warnings };
}

/** The largest |value| of any layer's raw CAM. */
function maxAbsCam(stack: CamStack): number {
  let m = 0;
  for (const l of stack.layers) for (const v of l.raw) m = Math.max(m, Math.abs(v));
  return m;
}
