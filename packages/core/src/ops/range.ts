/**
 * Range: start, start + delta, ... up to (excluding) limit; count = max(ceil((limit - start) /
 * delta), 0). The three scalar inputs are constants, so it always folds.
 * https://onnx.ai/onnx/operators/onnx__Range.html
 */
import { shapeError } from '../errors.ts';
import { hostTensor } from '../graph/ir.ts';
import { defineOp, type OpIO } from './op.ts';

function count(io: OpIO): { start: number; delta: number; n: number } {
  // Range may count in floats (start 0, limit 1, delta 0.25): read the scalars as they are.
  const [start, limit, delta] = [0, 1, 2].map((k) => Number(io.consts[k]?.data[0]));
  if (delta === 0) throw shapeError(io.node, 'Range delta cannot be 0');
  return { start, delta, n: Math.max(Math.ceil((limit - start) / delta), 0) };
}

function values(io: OpIO): number[] {
  const { start, delta, n } = count(io);
  return Array.from({ length: n }, (_, k) => start + k * delta);
}

export const range = defineOp<null>({
  type: 'Range',
  constInputs: [0, 1, 2],
  attrs: () => null,
  // The shape rule only counts: the values are made by the fold, once the length has passed
  // the size checks (a huge limit would otherwise exhaust the heap here).
  shape: (io) => [{ dtype: io.inputs[0]!.dtype, shape: [count(io).n] }],
  fold: (io, _a, outs) => [hostTensor(outs[0].dtype, outs[0].shape, values(io))],
});
