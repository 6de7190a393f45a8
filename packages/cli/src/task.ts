/**
 * What a command does with the explained scores, by the output contract's task: the prediction
 * shown, the targets chosen, the target the CAMs explain and any warning about the scores.
 * classify: one score per class (probabilities by the model's own activation; a Sigmoid model is
 * multi-label: σ, and a softmax target is its class's σ); segment: a map of class scores per pixel
 * (class areas, pytorch-grad-cam's SemanticSegmentationTarget); regress, embed, sequence and
 * detect: tasks/.
 */
import type { TargetKind } from '@camanim/cam-methods';
import { probabilityWarning, segmentationTarget, type OutputContract, type OutputTask } from '@camanim/core';
import { cliError } from './errors.ts';
import type { Labels } from './labels.ts';
import type { MetricsChoice } from './metrics.ts';
import type { TargetChoice } from './options.ts';
import { chooseSegmentTargets, chooseTargets, topAreas, topClasses } from './target.ts';
import type { TaskChoice } from './task-flags.ts';
import { detectTask } from './tasks/detect.ts';
import { embedTask } from './tasks/embed.ts';
import { regressTask } from './tasks/regress.ts';
import { sequenceTask } from './tasks/sequence.ts';
import type { Task } from './tasks/types.ts';

export type { Task } from './tasks/types.ts';

/** `reference`: --task embed's reference embedding. */
export function taskFor(output: OutputContract, labels: Labels, choice?: TaskChoice, reference?: Float32Array): Task {
  const K = output.classes;
  if (output.task !== 'classify' && output.task !== 'segment') {
    if (!choice) throw cliError(`--task ${output.task} needs its flags parsed`, {}, 'Pass the task choice (parseTaskChoice)');
    if (output.task === 'regress') return regressTask(output, choice);
    if (output.task === 'embed') return embedTask(output, reference!, choice.reference!);
    if (output.task === 'sequence') return sequenceTask(output, choice);
    return detectTask(output, labels, choice);
  }
  if (output.task === 'segment') {
    return {
      scores: (data) => data.subarray(0, data.length / (output.shape[0] || 1)),
      top: (s) => topAreas(s, K, labels),
      targets: (s, choice) => chooseSegmentTargets(s, K, choice, labels),
      camTarget: (t) => segmentationTarget(t.class, K),
      warning: () => undefined,
    };
  }
  const multiLabel = output.activation === 'sigmoid';
  return {
    scores: (data) => data.subarray(0, K),
    top: (s) => topClasses(s, labels, output.activation),
    targets: (s, choice, kind) => chooseTargets(s, choice, labels, kind, output.activation),
    camTarget: (t) => ({ class: t.class, kind: multiLabel && t.kind === 'softmax' ? 'sigmoid' : t.kind }),
    warning: (s) => probabilityWarning(output, s),
  };
}

/** What each task's target is, for the refusal of options that would change it. */
const TARGET_OF: Partial<Record<OutputTask, string>> = {
  segment: "the class's scores summed over its pixels (SemanticSegmentationTarget)",
  regress: 'the score or its negation (--direction)',
  embed: 'the cosine similarity to --reference',
  sequence: "the CTC log-probability, or a step's score with --step",
  detect: "the chosen box's score (--box)",
};

/** The explain/road options a task does not take, refused before anything heavy runs. */
export function checkTaskOptions(
  task: OutputTask,
  o: { ybroad?: boolean; metrics?: MetricsChoice; targetKind: TargetKind; target: TargetChoice },
): void {
  if (task === 'classify') return;
  const scoring = o.ybroad ? '--ybroad' : o.metrics ? '--metrics' : undefined;
  if (scoring)
    throw cliError(
      `${scoring} does not apply to --task ${task} yet: ${o.ybroad ? 'ROAD scores' : 'the metrics score'} a classifier's confidence`,
      {},
      `Drop ${scoring}, or explain a classifier`,
    );
  if (o.targetKind !== 'logit')
    throw cliError(
      `--target ${o.targetKind} does not apply to --task ${task}: the target is ${TARGET_OF[task]}`,
      {},
      'Drop --target',
    );
  // --class picks a segment's class, a step's class (sequence checks it has --step).
  if (task === 'segment' || (task === 'sequence' && o.target.kind !== 'top-k')) return;
  const flag = o.target.kind === 'top-k' ? '--top-k' : o.target.kind === 'predicted' ? undefined : '--class';
  const instead = task === 'regress' ? '--output-index' : task === 'detect' ? '--box' : '--reference';
  if (flag)
    throw cliError(
      `${flag} does not apply to --task ${task}: the target is ${TARGET_OF[task]}`,
      {},
      `Drop ${flag}${task === 'embed' ? '' : `; pick with ${instead}`}`,
    );
}
