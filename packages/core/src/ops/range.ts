/**
 * Range: start, start + delta, ... up to (excluding) limit; count = max(ceil((limit - start) /
 * delta), 0). The three scalar inputs are constants, so it always folds.
 * https://onnx.ai/onnx/operators/onnx__Range.html
 */
import { hostTensor } from '../graph/ir.ts';
import { constInts, shapeError } from './host.ts';
import { defineOp, type OpIO } from './op.ts';

function values(io: OpIO): number[] {
  const [start, limit, delta] = [0, 1, 2].map((k) => constInts(io, k)![0]);
  if (delta === 0) throw shapeError(io.node, 'Range delta cannot be 0');
  const n = Math.max(Math.ceil((limit - start) / delta), 0);
  return Array.from({ length: n }, (_, k) => start + k * delta);
}

export const range = defineOp<null>({
  type: 'Range',
  constInputs: [0, 1, 2],
  attrs: () => null,
  shape: (io) => [{ dtype: io.inputs[0]!.dtype, shape: [values(io).length] }],
  fold: (io, _a, outs) => [hostTensor(outs[0].dtype, outs[0].shape, values(io))],
});
