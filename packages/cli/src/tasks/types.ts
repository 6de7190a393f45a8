/** What a command does with the explained scores of one task (task.ts picks one per output contract). */
import type { TargetKind } from '@camanim/cam-methods';
import type { Target } from '@camanim/core';
import type { TargetChoice } from '../options.ts';
import type { ChosenTarget } from '../target.ts';

export interface Task {
  /** The scores of one batch item from the explained tensor's data. */
  scores(data: Float32Array): Float32Array;
  top(scores: Float32Array): ChosenTarget[];
  targets(scores: Float32Array, choice: TargetChoice, kind: TargetKind): ChosenTarget[];
  /** What computeCams explains for `t`. */
  camTarget(t: ChosenTarget): Target;
  warning(scores: Float32Array): string | undefined;
}

/** A target built by the task itself: one item's scores (the first of the batch), no warning. */
export function builtTask(
  itemSize: number,
  top: Task['top'],
  targets: (scores: Float32Array, choice: TargetChoice) => ChosenTarget[],
): Task {
  return {
    scores: (data) => data.subarray(0, itemSize),
    top,
    targets,
    camTarget: (t) => t.cam!,
    warning: () => undefined,
  };
}
