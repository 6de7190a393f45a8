/**
 * What a command does with the explained scores, by the output contract's task: the prediction
 * shown, the targets chosen, the target the CAMs explain and any warning about the scores.
 * classify: one score per class (probabilities by the model's own activation); segment: a map
 * of class scores per pixel (class areas, pytorch-grad-cam's SemanticSegmentationTarget).
 */
import type { TargetKind } from '@camanim/cam-methods';
import { probabilityWarning, segmentationTarget, type OutputContract, type Target } from '@camanim/core';
import type { Labels } from './labels.ts';
import type { TargetChoice } from './options.ts';
import { chooseSegmentTargets, chooseTargets, topAreas, topClasses, type ChosenTarget } from './target.ts';

export interface Task {
  /** The scores of one batch item from the explained tensor's data. */
  scores(data: Float32Array): Float32Array;
  top(scores: Float32Array): ChosenTarget[];
  targets(scores: Float32Array, choice: TargetChoice, kind: TargetKind): ChosenTarget[];
  /** What computeCams explains for `t`. */
  camTarget(t: ChosenTarget): Target;
  warning(scores: Float32Array): string | undefined;
}

export function taskFor(output: OutputContract, labels: Labels): Task {
  const K = output.classes;
  if (output.task === 'segment') {
    return {
      scores: (data) => data.subarray(0, data.length / (output.shape[0] || 1)),
      top: (s) => topAreas(s, K, labels),
      targets: (s, choice) => chooseSegmentTargets(s, K, choice, labels),
      camTarget: (t) => segmentationTarget(t.class, K),
      warning: () => undefined,
    };
  }
  return {
    scores: (data) => data.subarray(0, K),
    top: (s) => topClasses(s, labels, output.activation),
    targets: (s, choice, kind) => chooseTargets(s, choice, labels, kind, output.activation),
    camTarget: (t) => ({ class: t.class, kind: t.kind }),
    warning: (s) => probabilityWarning(output, s),
  };
}
