/**
 * Which classes to explain: the predicted one, a given one, or the top k; with their scores and
 * the score the CAMs explain (--target).
 */
import { classAreas, classProbabilities, predictedMask, type OutputActivation, type Target } from '@camanim/core';
import type { TargetKind } from '@camanim/cam-methods';
import type { TargetChoice } from './options.ts';
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
  /**
   * --task segment: `logit` is the class's scores summed over its predicted pixels (the target's
   * value), `probability` the share of pixels predicted as it.
   */
  readonly segment?: boolean;
  /** What the console and the frames say of it, where the task words it (regress, embed, sequence, detect). */
  readonly caption?: string;
  /** The target computeCams explains, where the task builds it. */
  readonly cam?: Target;
}

/** The classes a choice names, from the classes best first. */
export function pickedClasses(choice: TargetChoice, order: readonly number[]): readonly number[] {
  if (choice.kind === 'class') return [choice.class];
  if (choice.kind === 'classes') return choice.classes;
  return order.slice(0, choice.kind === 'top-k' ? choice.k : 1);
}

export function checkClassRange(choice: TargetChoice, numClasses: number, model: string): void {
  const given = choice.kind === 'class' ? [choice.class] : choice.kind === 'classes' ? choice.classes : [];
  const c = given.find((k) => k >= numClasses);
  if (c !== undefined) {
    throw cliError(
      `Class ${c} is out of range: the model has ${numClasses} classes (0 to ${numClasses - 1})`,
      { file: model },
      'Pick a --class within range, or leave it out to explain the predicted class',
      'bad-target',
    );
  }
  if (choice.kind === 'top-k' && choice.k > numClasses) {
    throw cliError(
      `--top-k ${choice.k} is more than the model's ${numClasses} classes`,
      { file: model },
      `Use --top-k ${numClasses} or less`,
      'bad-target',
    );
  }
}

/**
 * `logits`: one batch item's explained scores; `activation`: what the model applies to them
 * (its probabilities are reported: a softmax of the scores when it applies none).
 */
export function chooseTargets(
  logits: Float32Array,
  choice: TargetChoice,
  labels: Labels,
  kind: TargetKind,
  activation: OutputActivation = 'none',
): ChosenTarget[] {
  const p = classProbabilities(logits, activation);
  const order = [...logits.keys()].sort((a, b) => logits[b] - logits[a] || a - b);
  const rankOf = new Map(order.map((c, r) => [c, r + 1]));
  return pickedClasses(choice, order).map((c) => ({
    class: c,
    label: labels.name(c),
    logit: logits[c],
    probability: p[c],
    rank: rankOf.get(c)!,
    kind,
  }));
}

/** The top `k` classes by logit, for the manifest and messages. */
export function topClasses(logits: Float32Array, labels: Labels, activation: OutputActivation, k = 5): ChosenTarget[] {
  return chooseTargets(logits, { kind: 'top-k', k: Math.min(k, logits.length) }, labels, 'logit', activation);
}

/** "Sneaker 0.979 · Sandal 0.012 · …" (the model's probabilities; segmentation: "car 41.2% of pixels · …"). */
export function predictionLine(top: readonly ChosenTarget[]): string {
  return top
    .map(
      (t) =>
        t.caption ??
        (t.segment ? `${t.label} ${(100 * t.probability).toFixed(1)}% of pixels` : `${t.label} ${t.probability.toFixed(3)}`),
    )
    .join(' · ');
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

/**
 * --task segment: classes ranked by the share of pixels predicted as them (`row`: one item's
 * [K·H·W] scores); the predicted one is the largest. A class with no pixel has an empty mask and
 * nothing to explain: refused, naming the classes that appear.
 */
export function chooseSegmentTargets(row: Float32Array, classes: number, choice: TargetChoice, labels: Labels): ChosenTarget[] {
  const areas = classAreas(row, classes);
  const order = [...areas.keys()].sort((a, b) => areas[b] - areas[a] || a - b);
  const rankOf = new Map(order.map((c, r) => [c, r + 1]));
  const picked = pickedClasses(choice, order);
  const hw = row.length / classes;
  return picked.map((c) => {
    if (areas[c] === 0) {
      const present = order
        .filter((k) => areas[k] > 0)
        .slice(0, 5)
        .map((k) => `${labels.name(k)} (class ${k}) ${(100 * areas[k]).toFixed(1)}%`)
        .join(', ');
      throw cliError(
        `No pixel is predicted as class ${c}: its mask is empty and every CAM would be 0`,
        {},
        `Pick a --class that appears: ${present}`,
        'bad-target',
      );
    }
    const mask = predictedMask(row, classes, c);
    let score = 0;
    for (let p = 0; p < hw; p++) score += row[c * hw + p] * mask[p];
    return {
      class: c,
      label: labels.name(c),
      logit: score,
      probability: areas[c],
      rank: rankOf.get(c)!,
      kind: 'logit' as const,
      segment: true,
    };
  });
}

/** The top `k` classes by predicted area, for the manifest and the console. */
export function topAreas(row: Float32Array, classes: number, labels: Labels, k = 5): ChosenTarget[] {
  const areas = classAreas(row, classes);
  const present = [...areas.keys()].filter((c) => areas[c] > 0);
  return chooseSegmentTargets(row, classes, { kind: 'top-k', k: Math.min(k, present.length) }, labels);
}
