/**
 * ConstantOfShape: a tensor of the constant input's shape filled with `value` (a one-element
 * tensor attribute; default float32 0). Always folds.
 * https://onnx.ai/onnx/operators/onnx__ConstantOfShape.html
 */
import { elementCount, hostTensor, type HostTensor } from '../graph/ir.ts';
import { tensorAttr } from './attrs.ts';
import { constInts } from './const-inputs.ts';
import { defineOp } from './op.ts';

export const constantOfShape = defineOp<HostTensor>({
  type: 'ConstantOfShape',
  constInputs: [0],
  attrs: (node) => tensorAttr(node, 'value') ?? hostTensor('float32', [1], [0]),
  shape: (io, value) => [{ dtype: value.dtype, shape: constInts(io, 0)! }],
  fold: (_io, value, outs) => {
    const shape = outs[0].shape;
    return [hostTensor(value.dtype, shape, new Float64Array(elementCount(shape)).fill(value.data[0] ?? 0))];
  },
});
