/**
 * --task sequence: a text recogniser's per-step scores ([T, C] per item, batch-first). The CTC
 * target (core ctcTarget) of the greedy-decoded labels, or of --text read through --charset; or,
 * with --step, that step's class score (--class, default its best). Characters come from
 * --charset: the non-blank classes in class order (PaddleOCR's dict with the blank at 0).
 */
import { ctcTarget, greedyDecode, softmax, stepTarget, type OutputContract, type SequenceGeometry } from '@camanim/core';
import { cliError } from '../errors.ts';
import { fmt } from '../frames.ts';
import type { TaskChoice } from '../task-flags.ts';
import type { TargetChoice } from '../options.ts';
import type { ChosenTarget } from '../target.ts';
import { builtTask, type Task } from './types.ts';

export function sequenceTask(output: OutputContract, choice: TaskChoice): Task {
  const g: SequenceGeometry = { steps: output.sequence!.steps, classes: output.classes };
  const { blank, charset } = choice;
  if (blank >= g.classes)
    throw cliError(
      `--blank ${blank} is out of range: each step has ${g.classes} classes (0 to ${g.classes - 1})`,
      { tensor: output.name },
      'Check --blank',
    );
  if (charset && charset.length !== g.classes - 1) {
    throw cliError(
      `The charset has ${charset.length} characters, but the recogniser has ${g.classes - 1} classes besides the blank`,
      {},
      `Give one character per non-blank class (${g.classes - 1} lines), in class order`,
    );
  }
  const char = (k: number) => (charset ? charset[k < blank ? k : k - 1] : `[${k}]`);
  const spell = (labels: readonly number[]) =>
    charset ? `'${labels.map(char).join('')}'` : `classes ${labels.map(String).join(' ') || '(none)'}`;
  const labelsOf = (text: string) =>
    [...text].map((c) => {
      const i = charset!.indexOf(c);
      if (i < 0)
        throw cliError(`--text '${text}' has '${c}', which is not in the charset`, {}, 'Use characters of the --charset file');
      return i < blank ? i : i + 1;
    });
  const ctc = (s: Float32Array, labels: readonly number[], rank: number): ChosenTarget => {
    const cam = ctcTarget(labels, g, blank);
    const logp = cam.score(s).value;
    return {
      class: 0,
      label: spell(labels),
      logit: logp,
      probability: Math.exp(logp),
      rank,
      kind: 'logit',
      caption: `CTC ${spell(labels)} · log p ${fmt(logp)}`,
      cam,
    };
  };
  const greedy = (s: Float32Array) => {
    const labels = greedyDecode(s, g, blank);
    if (!labels.length)
      throw cliError(
        `Every step's best class is the blank (class ${blank}): the greedy decoding is empty, with nothing to explain`,
        { tensor: output.name },
        'Give the text to explain with --text (and --charset), or a step with --step',
      );
    return labels;
  };
  const step = (s: Float32Array, t: number, c: TargetChoice): ChosenTarget => {
    if (t >= g.steps)
      throw cliError(
        `--step ${t} is out of range: output '${output.name}' has ${g.steps} steps (0 to ${g.steps - 1})`,
        { tensor: output.name },
        `Use --step 0..${g.steps - 1}`,
      );
    const row = s.subarray(t * g.classes, (t + 1) * g.classes);
    const k = c.kind === 'class' ? c.class : row.indexOf(Math.max(...row));
    const cam = stepTarget(t, k, g);
    const p = softmax(row)[k];
    return {
      class: k,
      label: char(k),
      logit: row[k],
      probability: p,
      rank: 1,
      kind: 'logit',
      caption: `step ${t}: ${char(k)} (class ${k}) · score ${fmt(row[k])} · p ${p.toFixed(3)}`,
      cam,
    };
  };
  return builtTask(
    g.steps * g.classes,
    (s) => [ctc(s, greedy(s), 1)],
    (s, c) => {
      if (choice.step !== undefined) return [step(s, choice.step, c)];
      if (c.kind !== 'predicted')
        throw cliError(
          "--class applies to --task sequence with --step (a step's class)",
          {},
          'Add --step t, or drop --class to explain the CTC target',
        );
      return [ctc(s, choice.text === undefined ? greedy(s) : labelsOf(choice.text), 1)];
    },
  );
}
