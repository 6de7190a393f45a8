/**
 * Flatten: [d0..d(axis-1)] × [d(axis)..] as a 2-D tensor sharing the input buffer.
 * https://onnx.ai/onnx/operators/onnx__Flatten.html
 */
import { elementCount } from '../graph/ir.ts';
import { intAttr, normAxis } from './attrs.ts';
import { reshaped } from './const-inputs.ts';
import { defineOp } from './op.ts';

export const flatten = defineOp<{ axis: number }>({
  type: 'Flatten',
  alias: true,
  attrs: (node) => ({ axis: intAttr(node, 'axis', 1) }),
  shape: ({ node, inputs }, { axis }) => {
    const s = inputs[0]!.shape;
    const a = axis === s.length ? s.length : normAxis(node, axis, s.length);
    return [{ dtype: inputs[0]!.dtype, shape: [elementCount(s.slice(0, a)), elementCount(s.slice(a))] }];
  },
  fold: ({ consts }, _a, outs) => (consts[0] ? [reshaped(consts[0], outs[0].shape)] : undefined),
});
