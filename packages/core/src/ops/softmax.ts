/**
 * Softmax and LogSoftmax, max-shifted so large logits do not overflow. Before opset 13 the
 * input is coerced to 2-D at `axis` (default 1): each row is every dim from `axis` on. From
 * opset 13 each row is the single `axis` (default -1). Either way one invocation per row.
 * https://onnx.ai/onnx/operators/onnx__Softmax.html , onnx__LogSoftmax.html
 * VJP from the retained output y: softmax dx = y (g − Σ g y); log-softmax dx = g − exp(y) Σ g.
 */
import { softmaxGradKernel, softmaxKernel } from '@camanim/shaders';
import { intAttr, normAxis } from './attrs.ts';
import { defineOp, gradInput, gradOutput, input, output, type KernelIO } from './op.ts';

/** The axes each softmax row runs over. */
function rowAxes({ node, opset, inputs }: KernelIO, axis: number): number[] {
  const rank = inputs[0]!.shape.length;
  const a = normAxis(node, axis, rank);
  return opset < 13 ? Array.from({ length: rank - a }, (_, k) => a + k) : [a];
}

function softmaxOp(type: string, log: boolean) {
  return defineOp<{ axis: number }>({
    type,
    attrs: (node, opset) => ({ axis: intAttr(node, 'axis', opset < 13 ? 1 : -1) }),
    shape: ({ inputs }) => [{ dtype: inputs[0]!.dtype, shape: inputs[0]!.shape }],
    forward: (io, { axis }) => [
      { kernel: softmaxKernel(io.inputs[0]!.shape, rowAxes(io, axis), log), args: [input(0), output(0)] },
    ],
    vjp: (io, { axis }) => [
      { kernel: softmaxGradKernel(io.inputs[0]!.shape, rowAxes(io, axis), log), args: [output(0), gradOutput(0), gradInput(0)] },
    ],
  });
}

export const softmax = softmaxOp('Softmax', false);
export const logSoftmax = softmaxOp('LogSoftmax', true);
