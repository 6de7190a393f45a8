/**
 * AveragePool: the mean of each window over 1-D, 2-D or 3-D spatial dims, with pads, strides,
 * dilations (opset 19), ceil_mode (opset 10) and auto_pad. The divisor counts the taps inside
 * the input, or with count_include_pad (opset 7) also those in the padding — but never taps
 * past the padded input that ceil_mode adds, as in PyTorch.
 * https://onnx.ai/onnx/operators/onnx__AveragePool.html
 * VJP: each input element gathers g / divisor from every window that holds it.
 */
import { averagePoolGradKernel, averagePoolKernel } from '@camanim/shaders';
import { intAttr } from './attrs.ts';
import { defineOp, gradInput, gradOutput, input, output } from './op.ts';
import { poolAttrs, poolGeometry, type PoolAttrs } from './pool-attrs.ts';

type Attrs = PoolAttrs & { readonly countIncludePad: boolean };

export const averagePool = defineOp<Attrs>({
  type: 'AveragePool',
  attrs: (node) => ({ ...poolAttrs(node), countIncludePad: intAttr(node, 'count_include_pad', 0) === 1 }),
  shape: ({ node, inputs }, a) => [{ dtype: inputs[0]!.dtype, shape: poolGeometry(node, a, inputs[0]!.shape).output }],
  forward: ({ node, inputs }, a) => [
    { kernel: averagePoolKernel(poolGeometry(node, a, inputs[0]!.shape), a.countIncludePad), args: [input(0), output(0)] },
  ],
  vjp: ({ node, inputs }, a) => [
    {
      kernel: averagePoolGradKernel(poolGeometry(node, a, inputs[0]!.shape), a.countIncludePad),
      args: [gradOutput(0), gradInput(0)],
    },
  ],
});
