/**
 * Expand: the input broadcast (numpy rules, both ways) against the constant shape input.
 * https://onnx.ai/onnx/operators/onnx__Expand.html
 * VJP: dY itself in the output's shape (`vjpShape`); autodiff sums it over the broadcast dims.
 */
import { broadcastToKernel, unaryKernel } from '@camanim/shaders';
import { broadcastHost, broadcastShapes } from './broadcast.ts';
import { constInts } from './const-inputs.ts';
import { defineOp, gradInput, gradOutput, input, output } from './op.ts';

export const expand = defineOp<null>({
  type: 'Expand',
  constInputs: [1],
  nonDifferentiable: [1],
  attrs: () => null,
  shape: (io) => [{ dtype: io.inputs[0]!.dtype, shape: broadcastShapes(io.node, [io.inputs[0]!.shape, constInts(io, 1)!]) }],
  fold: ({ consts }, _a, outs) => {
    const x = consts[0];
    return x
      ? [{ dtype: x.dtype, shape: outs[0].shape, data: broadcastHost(outs[0].shape, [x], (v) => v, x.dtype === 'float32') }]
      : undefined;
  },
  forward: ({ inputs, outputs }) => [
    { kernel: broadcastToKernel(outputs[0].shape, inputs[0]!.shape), args: [input(0), output(0)] },
  ],
  vjpShape: ({ outputs }) => outputs[0].shape,
  vjp: ({ outputs }) => [{ kernel: unaryKernel('expand_vjp', outputs[0].shape, 'x'), args: [gradOutput(0), gradInput(0)] }],
});
