/**
 * GlobalAveragePool and GlobalMaxPool: one window covering each whole [N, C] plane, so they
 * are the pool kernels with kernel_shape = the spatial dims (and share their VJPs: the mean's
 * gradient spread evenly; the max's routed to the first maximum, as PyTorch's adaptive max
 * pool does).
 * https://onnx.ai/onnx/operators/onnx__GlobalAveragePool.html , onnx__GlobalMaxPool.html
 */
import { averagePoolGradKernel, averagePoolKernel, maxPoolKernel } from '@camanim/shaders';
import { maxPoolGradSteps } from './max-pool.ts';
import { defineOp, gradInput, gradOutput, input, output } from './op.ts';
import { globalGeometry } from './pool-attrs.ts';

export const globalAveragePool = defineOp<null>({
  type: 'GlobalAveragePool',
  attrs: () => null,
  shape: ({ node, inputs }) => [{ dtype: inputs[0]!.dtype, shape: globalGeometry(node, inputs[0]!.shape).output }],
  forward: ({ node, inputs }) => [{ kernel: averagePoolKernel(globalGeometry(node, inputs[0]!.shape), false), args: [input(0), output(0)] }],
  vjp: ({ node, inputs }) => [{ kernel: averagePoolGradKernel(globalGeometry(node, inputs[0]!.shape), false), args: [gradOutput(0), gradInput(0)] }],
});

export const globalMaxPool = defineOp<null>({
  type: 'GlobalMaxPool',
  attrs: () => null,
  shape: ({ node, inputs }) => [{ dtype: inputs[0]!.dtype, shape: globalGeometry(node, inputs[0]!.shape).output }],
  forward: ({ node, inputs }) => [{ kernel: maxPoolKernel(globalGeometry(node, inputs[0]!.shape)), args: [input(0), output(0)] }],
  vjp: ({ node, inputs }) => maxPoolGradSteps(globalGeometry(node, inputs[0]!.shape)),
});
