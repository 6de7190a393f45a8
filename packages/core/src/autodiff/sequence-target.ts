/**
 * Targets of a text recogniser's per-step scores, on one item's [T, C] row (batch-first; a
 * [T, N, C] output is transposed in front of them by the contract): a step's class score, and
 * the CTC log-probability of a label sequence, log p(l | x) under CTC (Graves et al. 2006) with
 * log_softmax over C at each step, as `-torch.nn.functional.ctc_loss(log_softmax(z), l)` is.
 * Its gradient, d log p / d z[t, k] = γ[t, k] − softmax(z[t])[k] (γ: the posterior of label k
 * at step t from the forward-backward pass), is computed in float64.
 */
import { CamanimError } from '../errors.ts';
import { softmax, type CustomTarget } from './targets.ts';

export interface SequenceGeometry {
  readonly steps: number;
  readonly classes: number;
}

function checkRow(row: Float32Array, g: SequenceGeometry, what: string): void {
  if (row.length !== g.steps * g.classes) {
    throw new CamanimError(
      'bad-target',
      `${what}: an output row of ${row.length} values is not ${g.steps} steps × ${g.classes} classes`,
      {},
      "Explain the recogniser's [T, N, C] or [N, T, C] output",
    );
  }
}

/** The score of class `cls` at step `step`. */
export function stepTarget(step: number, cls: number, g: SequenceGeometry): CustomTarget {
  if (!(Number.isInteger(step) && step >= 0 && step < g.steps)) {
    throw new CamanimError(
      'bad-target',
      `Step ${step} is out of range: the sequence has ${g.steps} steps (0 to ${g.steps - 1})`,
      {},
      'Pick a --step within range',
    );
  }
  if (!(Number.isInteger(cls) && cls >= 0 && cls < g.classes)) {
    throw new CamanimError(
      'bad-target',
      `Class ${cls} is out of range: each step has ${g.classes} classes (0 to ${g.classes - 1})`,
      {},
      'Pick a --class within range',
    );
  }
  return {
    describe: `StepTarget(step ${step}, class ${cls})`,
    score(row) {
      checkRow(row, g, 'A step target');
      const grad = new Float32Array(row.length);
      grad[step * g.classes + cls] = 1;
      return { value: row[step * g.classes + cls], grad };
    },
  };
}

/** Best path decoding: the argmax class of each step, repeats merged, blanks dropped. */
export function greedyDecode(row: Float32Array, g: SequenceGeometry, blank: number): number[] {
  const labels: number[] = [];
  let last = -1;
  for (let t = 0; t < g.steps; t++) {
    let best = 0;
    for (let k = 1; k < g.classes; k++) if (row[t * g.classes + k] > row[t * g.classes + best]) best = k;
    if (best !== last && best !== blank) labels.push(best);
    last = best;
  }
  return labels;
}

const logAdd = (a: number, b: number) =>
  a === -Infinity ? b : b === -Infinity ? a : Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b)));

/** log p(labels | x) under CTC with `blank`, and its gradient over the scores. */
export function ctcTarget(labels: readonly number[], g: SequenceGeometry, blank: number): CustomTarget {
  for (const k of [blank, ...labels]) {
    if (!(Number.isInteger(k) && k >= 0 && k < g.classes))
      throw new CamanimError(
        'bad-target',
        `CTC label ${k} is out of range: each step has ${g.classes} classes (0 to ${g.classes - 1})`,
        {},
        'Check --blank, --text and --charset',
      );
  }
  if (labels.includes(blank))
    throw new CamanimError(
      'bad-target',
      `The CTC label sequence holds the blank (class ${blank})`,
      {},
      'Check --blank and --charset: the blank is no character',
    );
  const ext = [blank, ...labels.flatMap((l) => [l, blank])];
  const S = ext.length;
  const skips = (s: number) => s >= 2 && ext[s] !== blank && ext[s] !== ext[s - 2];
  return {
    describe: `CTCTarget(${labels.length} labels)`,
    score(row) {
      checkRow(row, g, 'A CTC target');
      const { steps: T, classes: C } = g;
      const logp = new Float64Array(T * C);
      const p = new Float64Array(T * C);
      for (let t = 0; t < T; t++) {
        const pt = softmax(row.subarray(t * C, (t + 1) * C));
        for (let k = 0; k < C; k++) [p[t * C + k], logp[t * C + k]] = [pt[k], Math.log(pt[k])];
      }
      const emit = (t: number, s: number) => logp[t * C + ext[s]];
      const alpha = new Float64Array(T * S).fill(-Infinity);
      const beta = new Float64Array(T * S).fill(-Infinity);
      alpha[0] = emit(0, 0);
      if (S > 1) alpha[1] = emit(0, 1);
      for (let t = 1; t < T; t++) {
        for (let s = 0; s < S; s++) {
          let a = alpha[(t - 1) * S + s];
          if (s >= 1) a = logAdd(a, alpha[(t - 1) * S + s - 1]);
          if (skips(s)) a = logAdd(a, alpha[(t - 1) * S + s - 2]);
          alpha[t * S + s] = a + emit(t, s);
        }
      }
      beta[(T - 1) * S + S - 1] = emit(T - 1, S - 1);
      if (S > 1) beta[(T - 1) * S + S - 2] = emit(T - 1, S - 2);
      for (let t = T - 2; t >= 0; t--) {
        for (let s = 0; s < S; s++) {
          let b = beta[(t + 1) * S + s];
          if (s + 1 < S) b = logAdd(b, beta[(t + 1) * S + s + 1]);
          if (s + 2 < S && skips(s + 2)) b = logAdd(b, beta[(t + 1) * S + s + 2]);
          beta[t * S + s] = b + emit(t, s);
        }
      }
      const logP = S > 1 ? logAdd(alpha[(T - 1) * S + S - 1], alpha[(T - 1) * S + S - 2]) : alpha[(T - 1) * S];
      if (logP === -Infinity) {
        throw new CamanimError(
          'bad-target',
          `The label sequence (${labels.length} labels) cannot be aligned to ${T} steps under CTC: its probability is 0`,
          {},
          "Give a shorter --text, or one that the model's steps can hold (a repeated character needs a blank between)",
        );
      }
      const grad = new Float32Array(row.length);
      const gamma = new Float64Array(T * C);
      for (let t = 0; t < T; t++)
        for (let s = 0; s < S; s++) gamma[t * C + ext[s]] += Math.exp(alpha[t * S + s] + beta[t * S + s] - emit(t, s) - logP);
      for (let i = 0; i < T * C; i++) grad[i] = gamma[i] - p[i];
      return { value: logP, grad };
    },
  };
}
