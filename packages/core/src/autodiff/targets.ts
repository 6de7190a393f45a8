/**
 * Backward targets as pytorch-grad-cam users know them. A target turns the model output
 * (read once, it is small) into the score per batch item and the seed gradient d score / d
 * output; everything after the seed runs on the GPU.
 * pytorch-grad-cam utils/model_targets.py: ClassifierOutputTarget, ClassifierOutputSoftmaxTarget,
 * ClassifierOutputReST, BinaryClassifierOutputTarget.
 */
import { CamanimError } from '../errors.ts';

export type ClassTarget =
  | { class: number; kind?: 'logit' | 'softmax' | 'sigmoid' | 'rest' | 'binary' }
  | { classes: readonly { class: number; weight: number }[] };

/** A plugin's scalar function of one batch item's output row: its value and gradient. */
export interface CustomTarget {
  readonly describe: string;
  score(output: Float32Array): { value: number; grad: Float32Array };
}

export type Target = ClassTarget | CustomTarget;

export interface Seed {
  /** d target / d output, shaped like the output. */
  readonly grad: Float32Array;
  /** Target value per batch item. */
  readonly scores: number[];
}

/**
 * `targets` is one target for every item or one per batch item; `output` is [N, K] (or [N, ...]
 * flattened per item).
 */
export function seedGradient(
  targets: Target | readonly Target[],
  output: Float32Array,
  shape: readonly number[],
  tensor: string,
): Seed {
  const n = shape[0] ?? 1;
  const k = output.length / n;
  const list = Array.isArray(targets) ? targets : Array.from({ length: n }, () => targets as Target);
  if (list.length !== n) {
    throw new CamanimError(
      'bad-target',
      `${list.length} targets given for a batch of ${n}`,
      { tensor },
      'Give one target, or one per image',
    );
  }
  const grad = new Float32Array(output.length);
  const scores = list.map((t, b) => {
    const row = output.subarray(b * k, (b + 1) * k);
    const r = scoreOne(t, row, tensor);
    grad.set(r.grad, b * k);
    return r.value;
  });
  return { grad, scores };
}

function scoreOne(t: Target, row: Float32Array, tensor: string): { value: number; grad: Float32Array } {
  if ('score' in t) {
    const r = t.score(row);
    if (r.grad.length !== row.length)
      throw new CamanimError(
        'bad-target',
        `Custom target '${t.describe}' returned a gradient of ${r.grad.length} values for an output of ${row.length}`,
        { tensor },
      );
    return r;
  }
  const grad = new Float32Array(row.length);
  if ('classes' in t) {
    let value = 0;
    for (const { class: c, weight } of t.classes) {
      checkClass(c, row.length, tensor);
      value += weight * row[c];
      grad[c] += weight;
    }
    return { value, grad };
  }
  const c = t.class;
  const kind = t.kind ?? 'logit';
  if (kind === 'binary') {
    // BinaryClassifierOutputTarget: the single output, its sign flipped for class 0.
    if (row.length !== 1)
      throw new CamanimError(
        'bad-target',
        `A binary target needs a model with one output score, this one has ${row.length}`,
        { tensor },
        "Use { class, kind: 'logit' }",
      );
    if (c !== 0 && c !== 1) throw new CamanimError('bad-target', `Binary target class must be 0 or 1, got ${c}`, { tensor });
    const sign = c === 1 ? 1 : -1;
    grad[0] = sign;
    return { value: sign * row[0], grad };
  }
  checkClass(c, row.length, tensor);
  if (kind === 'logit') {
    grad[c] = 1;
    return { value: row[c], grad };
  }
  if (kind === 'sigmoid') {
    // A multi-label class's own probability: σ(z_c), d/dz_c = σ(1 − σ).
    const s = 1 / (1 + Math.exp(-row[c]));
    grad[c] = s * (1 - s);
    return { value: s, grad };
  }
  const p = softmax(row);
  if (kind === 'softmax') {
    // d p_c / d z_j = p_c (δ_cj − p_j)
    for (let j = 0; j < row.length; j++) grad[j] = p[c] * ((j === c ? 1 : 0) - p[j]);
    return { value: p[c], grad };
  }
  // ReST: z_c − cross_entropy(z, c) = z_c + log p_c; d/dz_j = δ_cj + δ_cj − p_j.
  for (let j = 0; j < row.length; j++) grad[j] = (j === c ? 2 : 0) - p[j];
  return { value: row[c] + Math.log(p[c]), grad };
}

export function checkClass(c: number, classes: number, tensor: string): void {
  if (!Number.isInteger(c) || c < 0 || c >= classes) {
    throw new CamanimError(
      'bad-target',
      `Target class ${c} is out of range: the model has ${classes} classes (0 to ${classes - 1})`,
      { tensor },
      'Pick a class index within range',
    );
  }
}

export function softmax(row: ArrayLike<number>): Float64Array {
  let m = -Infinity;
  for (let j = 0; j < row.length; j++) m = Math.max(m, row[j]);
  const p = new Float64Array(row.length);
  let s = 0;
  for (let j = 0; j < row.length; j++) s += p[j] = Math.exp(row[j] - m);
  for (let j = 0; j < row.length; j++) p[j] /= s;
  return p;
}
