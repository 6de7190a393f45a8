/**
 * Which classes to explain: the predicted one, a given one, or the top k; with their scores and
 * the score the CAMs explain (--target).
 */
import { softmax } from '@camanim/core';
import type { TargetKind } from '@camanim/cam-methods';
import type { TargetChoice } from './args.ts';
import { cliError } from './errors.ts';
import type { Labels } from './labels.ts';

export interface ChosenTarget {
  readonly class: number;
  readonly label: string;
  readonly logit: number;
  readonly probability: number;
  /** 1 for the best-scoring class. */
  readonly rank: number;
  /** The score explained: core's { class, kind }. */
  readonly kind: TargetKind;
}

export function checkClassRange(choice: TargetChoice, numClasses: number, model: string): void {
  if (choice.kind === 'class' && choice.class >= numClasses) {
    throw cliError(`Class ${choice.class} is out of range: the model has ${numClasses} classes (0 to ${numClasses - 1})`, { file: model }, 'Pick a --class within range, or leave it out to explain the predicted class', 'bad-target');
  }
  if (choice.kind === 'top-k' && choice.k > numClasses) {
    throw cliError(`--top-k ${choice.k} is more than the model's ${numClasses} classes`, { file: model }, `Use --top-k ${numClasses} or less`, 'bad-target');
  }
}

/** `logits`: one batch item's output row. */
export function chooseTargets(logits: Float32Array, choice: TargetChoice, labels: Labels, kind: TargetKind): ChosenTarget[] {
  const p = softmax(logits);
  const order = [...logits.keys()].sort((a, b) => logits[b] - logits[a] || a - b);
  const rankOf = new Map(order.map((c, r) => [c, r + 1]));
  const classes = choice.kind === 'class' ? [choice.class] : order.slice(0, choice.kind === 'top-k' ? choice.k : 1);
  return classes.map((c) => ({ class: c, label: labels.name(c), logit: logits[c], probability: p[c], rank: rankOf.get(c)!, kind }));
}

/** The top `k` classes by logit, for the manifest and messages. */
export function topClasses(logits: Float32Array, labels: Labels, k = 5): ChosenTarget[] {
  return chooseTargets(logits, { kind: 'top-k', k: Math.min(k, logits.length) }, labels, 'logit');
}
