/**
 * Reshape: output 0 is input 0 with a new shape; the GPU buffer is shared (no kernel).
 * `0` copies the input dim (unless allowzero, opset 14), `-1` is inferred.
 * https://onnx.ai/onnx/operators/onnx__Reshape.html
 */
import { shapeError } from '../errors.ts';
import { elementCount } from '../graph/ir.ts';
import { intAttr } from './attrs.ts';
import { constInts, reshaped } from './const-inputs.ts';
import { defineOp } from './op.ts';

export const reshape = defineOp<{ allowzero: number }>({
  type: 'Reshape',
  alias: true,
  constInputs: [1],
  attrs: (node) => ({ allowzero: intAttr(node, 'allowzero', 0) }),
  shape: (io, { allowzero }) => {
    const x = io.inputs[0]!;
    const target = constInts(io, 1) ?? [];
    const shape = target.map((d, k) => (d === 0 && !allowzero ? x.shape[k] : d));
    const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const total = elementCount(x.shape);
    const infer = shape.indexOf(-1);
    if (infer >= 0) shape[infer] = known === 0 ? 0 : total / known;
    if (shape.filter((d) => d === -1).length > 1 || elementCount(shape) !== total || !shape.every(Number.isInteger)) {
      throw shapeError(io.node, `Cannot reshape [${x.shape.join(', ')}] to [${target.join(', ')}]`);
    }
    return [{ dtype: x.dtype, shape }];
  },
  fold: ({ consts }, _a, outs) => (consts[0] ? [reshaped(consts[0], outs[0].shape)] : undefined),
});
