/**
 * Which classes to explain: the predicted one, a given one, or the top k; with their scores and
 * the score the CAMs explain (--target).
 */
import { classProbabilities, type OutputActivation } from '@camanim/core';
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

/**
 * `logits`: one batch item's explained scores; `activation`: what the model applies to them
 * (its probabilities are reported: a softmax of the scores when it applies none).
 */
export function chooseTargets(logits: Float32Array, choice: TargetChoice, labels: Labels, kind: TargetKind, activation: OutputActivation = 'none'): ChosenTarget[] {
  const p = classProbabilities(logits, activation);
  const order = [...logits.keys()].sort((a, b) => logits[b] - logits[a] || a - b);
  const rankOf = new Map(order.map((c, r) => [c, r + 1]));
  const classes = choice.kind === 'class' ? [choice.class] : order.slice(0, choice.kind === 'top-k' ? choice.k : 1);
  return classes.map((c) => ({ class: c, label: labels.name(c), logit: logits[c], probability: p[c], rank: rankOf.get(c)!, kind }));
}

/** The top `k` classes by logit, for the manifest and messages. */
export function topClasses(logits: Float32Array, labels: Labels, activation: OutputActivation, k = 5): ChosenTarget[] {
  return chooseTargets(logits, { kind: 'top-k', k: Math.min(k, logits.length) }, labels, 'logit', activation);
}

/** "Sneaker 0.979 · Sandal 0.012 · …" (the model's probabilities). */
export function predictionLine(top: readonly ChosenTarget[]): string {
  return top.map((t) => `${t.label} ${t.probability.toFixed(3)}`).join(' · ');
}

/**
 * A warning when the explained score can hardly move: a softmax target at p ≈ 0 or 1 has the
 * gradient p(1 − p) ≈ 0, and CAMs that are all ≈ 0 mean the gradient vanished anyway.
 */
export function saturationWarning(target: ChosenTarget, maxAbsCam: number): string | undefined {
  const p = target.probability;
  if (target.kind === 'softmax' && p * (1 - p) < 1e-3) {
    return `warning: the softmax target of ${target.label} is saturated (p ${p.toPrecision(4)}, gradient factor p(1−p) ${(p * (1 - p)).toExponential(1)}): its CAMs are close to zero and mostly rounding. Explain the logit instead (--target logit, the default) or --target rest`;
  }
  if (maxAbsCam < 1e-6) {
    return `warning: every CAM of ${target.label} is ≈ 0 (largest |value| ${maxAbsCam.toExponential(1)}): the target's gradient vanishes at these layers. Try --target logit, or check that the explained output is the model's scores (--output)`;
  }
  return undefined;
}
