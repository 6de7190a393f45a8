/**
 * MaxPool: the largest element of each window over 1-D, 2-D or 3-D spatial dims, with pads,
 * strides, dilations, ceil_mode and auto_pad (opsets 1–12; storage_order only concerns the
 * Indices output, which is refused).
 * https://onnx.ai/onnx/operators/onnx__MaxPool.html
 * VJP: each window's gradient goes to its argmax — recomputed from the retained input, first
 * maximum in window order winning as in PyTorch — and each input element gathers from the
 * windows that hold it, so no two invocations write one element.
 */
import { maxPoolArgmaxKernel, maxPoolGradKernel, maxPoolKernel, sizeOf, type PoolGeometry } from '@camanim/shaders';
import { CamanimError } from '../errors.ts';
import { defineOp, gradInput, gradOutput, input, output, scratch, type Step } from './op.ts';
import { poolAttrs, poolGeometry, type PoolAttrs } from './pool-attrs.ts';

export const maxPool = defineOp<PoolAttrs>({
  type: 'MaxPool',
  attrs: (node) => {
    if (node.outputs[1]) {
      throw new CamanimError(
        'unsupported-op',
        "MaxPool's optional Indices output is not supported",
        { node: node.name, op: node.opType },
        'Re-export the model without return_indices, or drop the second output',
      );
    }
    return poolAttrs(node);
  },
  shape: ({ node, inputs }, a) => [{ dtype: inputs[0]!.dtype, shape: poolGeometry(node, a, inputs[0]!.shape).output }],
  forward: ({ node, inputs }, a) => [
    { kernel: maxPoolKernel(poolGeometry(node, a, inputs[0]!.shape)), args: [input(0), output(0)] },
  ],
  vjp: ({ node, inputs }, a) => maxPoolGradSteps(poolGeometry(node, a, inputs[0]!.shape)),
});

/** The argmax of each window into scratch, then the gather; GlobalMaxPool shares it. */
export function maxPoolGradSteps(g: PoolGeometry): Step[] {
  const argmax = scratch(0, sizeOf(g.output));
  return [
    { kernel: maxPoolArgmaxKernel(g), args: [input(0), argmax] },
    { kernel: maxPoolGradKernel(g), args: [argmax, gradOutput(0), gradInput(0)] },
  ];
}
