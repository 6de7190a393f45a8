/**
 * --task regress: one of an [N, K] output's scores (--output-index; read when K is 1), explained
 * as it is (--direction up) or negated (down): the score with weight ±1.
 */
import { fmt } from '../frames.ts';
import { cliError } from '../errors.ts';
import type { OutputContract } from '@camanim/core';
import type { TaskChoice } from '../task-flags.ts';
import { builtTask, type Task } from './types.ts';

export function regressTask(output: OutputContract, choice: TaskChoice): Task {
  const K = output.classes;
  if (choice.outputIndex === undefined && K > 1) {
    throw cliError(
      `Output '${output.name}' [${output.shape.join(', ')}] has ${K} scores: which one --task regress explains is not stated`,
      { tensor: output.name },
      `Pick it with --output-index 0..${K - 1}`,
    );
  }
  const i = choice.outputIndex ?? 0;
  if (i >= K)
    throw cliError(
      `--output-index ${i} is out of range: output '${output.name}' has ${K} scores (0 to ${K - 1})`,
      { tensor: output.name },
      `Use --output-index 0..${K - 1}`,
    );
  const sign = choice.direction === 'down' ? -1 : 1;
  const name = K > 1 ? `score ${i}` : 'score';
  return builtTask(
    K,
    (s) => [{ class: i, label: name, logit: s[i], probability: s[i], rank: 1, kind: 'logit', caption: `${name} ${fmt(s[i])}` }],
    (s) => [
      {
        class: i,
        label: name,
        logit: sign * s[i],
        probability: s[i],
        rank: 1,
        kind: 'logit',
        caption: `${name} ${fmt(s[i])}, explained ${sign > 0 ? 'up' : 'down (negated)'}`,
        cam: { classes: [{ class: i, weight: sign }] },
      },
    ],
  );
}
