/** Constant inputs of op modules: their integer values (shapes, axes, indices), and host tensors re-shaped in folds. */
import { CamanimError } from '../errors.ts';
import type { HostTensor } from '../graph/ir.ts';
import type { OpIO } from './op.ts';

/** Integer values of a constant input (shape, axes, indices), or undefined when omitted. */
export function constInts(io: OpIO, k: number): number[] | undefined {
  if (!io.node.inputs[k]) return undefined;
  const c = io.consts[k];
  if (!c)
    throw new CamanimError(
      'bad-model',
      `Input ${k} ('${io.node.inputs[k]}') must be a constant`,
      { node: io.node.name, op: io.node.opType },
      'camanim needs shapes and axes known before the run',
    );
  const values = Array.from(c.data, (v) => Number(v));
  const bad = values.find((v) => !Number.isInteger(v));
  if (bad !== undefined) {
    throw new CamanimError(
      'bad-model',
      `Input ${k} ('${io.node.inputs[k]}') must hold integers, got ${bad} (a ${c.dtype} tensor)`,
      { node: io.node.name, op: io.node.opType, tensor: io.node.inputs[k] },
      'Shapes, axes and indices must be int64 tensors; the model file is corrupt',
    );
  }
  return values;
}

/** Same data under another shape (reshape-like folds). */
export function reshaped(t: HostTensor, shape: readonly number[]): HostTensor {
  return { dtype: t.dtype, shape: [...shape], data: t.data };
}
