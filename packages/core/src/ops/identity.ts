/**
 * Identity and Dropout (inference: the identity; the optional mask output is all true).
 * Both share the input buffer. https://onnx.ai/onnx/operators/onnx__Dropout.html
 */
import { hostTensor } from '../graph/ir.ts';
import { defineOp } from './op.ts';

export const identity = defineOp<null>({
  type: 'Identity',
  alias: true,
  attrs: () => null,
  shape: ({ inputs }) => [{ dtype: inputs[0]!.dtype, shape: inputs[0]!.shape }],
  fold: ({ consts }) => (consts[0] ? [consts[0]] : undefined),
});

export const dropout = defineOp<null>({
  type: 'Dropout',
  alias: true,
  attrs: () => null,
  shape: ({ node, inputs }) => {
    const x = inputs[0]!;
    return node.outputs.length > 1 && node.outputs[1] ? [{ dtype: x.dtype, shape: x.shape }, { dtype: 'bool', shape: x.shape }] : [{ dtype: x.dtype, shape: x.shape }];
  },
  fold: ({ node, consts }, _a, outs) => {
    if (!consts[0]) return undefined;
    return node.outputs.length > 1 && node.outputs[1] ? [consts[0], hostTensor('bool', outs[1].shape, new Float64Array(consts[0].data.length).fill(1))] : [consts[0]];
  },
});
