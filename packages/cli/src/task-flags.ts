/**
 * The --task flags: which kind of output is explained (classify, segment, regress, embed,
 * sequence, detect), the layout flags the contract needs where the model does not say
 * (--sequence-layout, --detect-format), and each task's own choice of target (--output-index and
 * --direction, --step/--text/--charset/--blank, --reference, --box). A task's flag given to
 * another task is refused, naming the task it belongs to.
 */
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import type { DetectFormat, OutputRequest, OutputTask, SequenceLayout } from '@camanim/core';
import { cliError } from './errors.ts';

export const TASKS: readonly OutputTask[] = ['classify', 'segment', 'regress', 'embed', 'sequence', 'detect'];

export interface TaskFlags {
  readonly task?: string;
  readonly outputIndex?: string;
  readonly direction?: string;
  readonly sequenceLayout?: string;
  readonly step?: string;
  readonly text?: string;
  readonly charset?: string;
  readonly blank?: string;
  readonly reference?: string;
  readonly detectFormat?: string;
  readonly detectBoxes?: string;
  readonly detectScores?: string;
  readonly box?: string;
}

/** What the task's target needs beyond the class choice, parsed and checked. */
export interface TaskChoice {
  readonly task: OutputTask;
  /** regress: the explained score (default: the only one) and its sign. */
  readonly outputIndex?: number;
  readonly direction: 'up' | 'down';
  /** sequence: a step's class score instead of the CTC target. */
  readonly step?: number;
  /** sequence: the characters of the non-blank classes, in class order (--charset). */
  readonly charset?: readonly string[];
  readonly text?: string;
  readonly blank: number;
  /** embed: the reference image. */
  readonly reference?: string;
  /** detect: which detection, best first. */
  readonly box: number;
}

/** Each task-specific flag and the task it belongs to. */
const OWNER: Record<Exclude<keyof TaskFlags, 'task'>, [flag: string, task: OutputTask]> = {
  outputIndex: ['--output-index', 'regress'],
  direction: ['--direction', 'regress'],
  sequenceLayout: ['--sequence-layout', 'sequence'],
  step: ['--step', 'sequence'],
  text: ['--text', 'sequence'],
  charset: ['--charset', 'sequence'],
  blank: ['--blank', 'sequence'],
  reference: ['--reference', 'embed'],
  detectFormat: ['--detect-format', 'detect'],
  detectBoxes: ['--detect-boxes', 'detect'],
  detectScores: ['--detect-scores', 'detect'],
  box: ['--box', 'detect'],
};

export function addTaskOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--task <task>',
        "classify: an [N, K] output; segment: an [N, K, H, W] map (pytorch-grad-cam's SemanticSegmentationTarget); " +
          "regress: a score up or down; embed: cosine similarity to --reference's embedding; " +
          "sequence: a text recogniser's CTC or per-step target; detect: a box score of a pre-NMS YOLO-style head, or of a detector exported with its post-processing (torchvision)",
      )
        .choices([...TASKS])
        .default('classify'),
    )
    .option('--output-index <i>', 'regress: the score explained, when the output has several')
    .addOption(new Option('--direction <d>', 'regress: explain the score (up) or its negation (down)').choices(['up', 'down']))
    .addOption(
      new Option(
        '--sequence-layout <l>',
        'sequence: which axis is time, when the model does not say: tnc ([T, N, C]) or ntc ([N, T, C])',
      ).choices(['tnc', 'ntc']),
    )
    .option(
      '--step <t>',
      "sequence: explain the class score at step t (--class: which class; default the step's best) instead of the CTC target",
    )
    .option('--text <string>', 'sequence: the CTC target of this text (needs --charset; default: the greedy-decoded text)')
    .option(
      '--charset <file>',
      "sequence: the characters of the non-blank classes, one per line, in class order (PaddleOCR's dict)",
    )
    .option('--blank <k>', 'sequence: the CTC blank class (default 0, as PyTorch, PaddleOCR and CRNN)')
    .option(
      '--reference <image>',
      "embed: the image whose embedding the cosine similarity is to (pytorch-grad-cam's SimilarityToConceptTarget)",
    )
    .addOption(
      new Option(
        '--detect-format <f>',
        "detect: the pre-NMS head's layout: yolov5 ([N, boxes, 4+1+K]) or yolov8 ([N, 4+K, boxes])",
      ).choices(['yolov5', 'yolov8']),
    )
    .option(
      '--detect-boxes <tensor>',
      "detect, on a graph with its own post-processing (torchvision's detectors): the decoded boxes [A, 4] it reads, where camanim cannot find them",
    )
    .option('--detect-scores <tensor>', 'detect, with --detect-boxes: the class scores [1, A, K] the post-processing reads')
    .option('--box <i>', 'detect: explain the i-th detection after NMS, best first (default 0)');
}

/** Only the task's flags (commander gives every option in one object). */
export function taskFlags(raw: TaskFlags): TaskFlags {
  const { task, outputIndex, direction, sequenceLayout, step, text, charset, blank, reference, detectFormat, box } = raw;
  const { detectBoxes, detectScores } = raw;
  return {
    task,
    outputIndex,
    direction,
    sequenceLayout,
    step,
    text,
    charset,
    blank,
    reference,
    detectFormat,
    detectBoxes,
    detectScores,
    box,
  };
}

/** The output contract's part: the task and the layouts it reads. */
export function taskRequest(
  f: TaskFlags,
): Pick<OutputRequest, 'task' | 'sequenceLayout' | 'detectFormat' | 'detectBoxes' | 'detectScores'> {
  const task = (TASKS.includes(f.task as OutputTask) ? f.task : 'classify') as OutputTask;
  return {
    task,
    ...(f.sequenceLayout ? { sequenceLayout: f.sequenceLayout.toUpperCase() as SequenceLayout } : {}),
    ...(f.detectFormat ? { detectFormat: f.detectFormat as Exclude<DetectFormat, 'boxes-scores'> } : {}),
    ...(f.detectBoxes ? { detectBoxes: f.detectBoxes } : {}),
    ...(f.detectScores ? { detectScores: f.detectScores } : {}),
  };
}

const index = (v: string, flag: string): number => {
  if (!/^\d+$/.test(v.trim())) throw cliError(`${flag} expects an index (0, 1, …), got '${v}'`, {}, `For example ${flag} 0`);
  return Number(v);
};

export function parseTaskChoice(f: TaskFlags): TaskChoice {
  const { task } = taskRequest(f);
  for (const [key, [flag, owner]] of Object.entries(OWNER)) {
    if (f[key as keyof TaskFlags] !== undefined && owner !== task)
      throw cliError(
        `${flag} applies to --task ${owner}, not --task ${task}`,
        {},
        `Drop ${flag}, or explain with --task ${owner}`,
      );
  }
  if (task === 'embed' && f.reference === undefined)
    throw cliError(
      '--task embed needs --reference <image>: the embedding the cosine similarity is to',
      {},
      'Give the reference image with --reference',
    );
  if (f.text !== undefined && f.charset === undefined)
    throw cliError(
      '--text needs --charset <file>: which class each character is',
      {},
      "Give the recogniser's character list (one per line, in class order) with --charset",
    );
  if (f.text !== undefined && f.step !== undefined)
    throw cliError(
      "--text and --step cannot be used together: --text is a CTC target, --step a single step's",
      {},
      'Give one of them',
    );
  return {
    task: task!,
    outputIndex: f.outputIndex === undefined ? undefined : index(f.outputIndex, '--output-index'),
    direction: f.direction === 'down' ? 'down' : 'up',
    step: f.step === undefined ? undefined : index(f.step, '--step'),
    charset: f.charset === undefined ? undefined : readCharset(f.charset),
    text: f.text,
    blank: f.blank === undefined ? 0 : index(f.blank, '--blank'),
    reference: f.reference,
    box: f.box === undefined ? 0 : index(f.box, '--box'),
  };
}

function readCharset(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw cliError(
      'Cannot read the charset file',
      { file },
      'Check the --charset path (a text file, one character per line)',
      'not-found',
      cause,
    );
  }
  const lines = text.split(/\r?\n/);
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
