/**
 * BatchNormalization in inference mode: y = scale·(x − mean)/sqrt(var + ε) + bias over the
 * channel axis 1, folded on the host at plan time into y = a·x + b per channel with
 * a = scale/sqrt(var + ε), b = bias − mean·a, so the GPU runs one multiply-add per element.
 * https://onnx.ai/onnx/operators/onnx__BatchNormalization.html (opsets 1–15)
 * Training (training_mode=1 from opset 14; the running-statistics outputs of earlier opsets) and
 * the per-element statistics of spatial=0 (opsets < 9) are refused: camanim explains trained
 * models.
 * VJP (inference, statistics constant): dX = g·a; dScale = Σ g·(x − mean)/sqrt(var + ε);
 * dBias = Σ g, the sums over every axis but the channel.
 */
import { channelAffineKernel, channelGradKernel } from '@camanim/shaders';
import { CamanimError, shapeError } from '../errors.ts';
import type { Node } from '../graph/ir.ts';
import { floatAttr, intAttr } from './attrs.ts';
import { defineOp, gradInput, gradOutput, input, output, type Arg, type KernelIO } from './op.ts';

function refuse(node: Node, what: string): never {
  throw new CamanimError(
    'unsupported-op',
    `BatchNormalization ${what} is not supported`,
    { node: node.name, op: node.opType },
    'camanim runs models in inference mode; export the model with model.eval()',
  );
}

/** Per-channel constants from the plan-time scale, bias, mean and variance. */
function channelParams(io: KernelIO, epsilon: number) {
  const [, scale, bias, mean, variance] = io.consts;
  const c = io.inputs[0]!.shape[1];
  const a = new Float32Array(c);
  const b = new Float32Array(c);
  const invStd = new Float32Array(c);
  for (let k = 0; k < c; k++) {
    invStd[k] = 1 / Math.sqrt(variance!.data[k] + epsilon);
    a[k] = scale!.data[k] * invStd[k];
    b[k] = bias!.data[k] - mean!.data[k] * a[k];
  }
  const data = (key: string, d: Float32Array): Arg => ({ kind: 'data', key, data: d });
  return { a: data('a', a), b: data('b', b), mean: data('mean', Float32Array.from(mean!.data)), invStd: data('inv_std', invStd) };
}

export const batchNormalization = defineOp<{ epsilon: number }>({
  type: 'BatchNormalization',
  // Statistics and affine parameters are weights: known at plan time, folded on the host.
  constInputs: [1, 2, 3, 4],
  // Running statistics get no gradient: they are fixed in inference.
  nonDifferentiable: [3, 4],
  attrs: (node, opset) => {
    if (opset >= 14 && intAttr(node, 'training_mode', 0) === 1) refuse(node, 'training_mode=1');
    if (opset < 9 && intAttr(node, 'spatial', 1) === 0) refuse(node, 'with spatial=0 (per-element statistics)');
    if (node.outputs.slice(1).some(Boolean)) refuse(node, 'with running-statistics outputs (training)');
    return { epsilon: floatAttr(node, 'epsilon', 1e-5) };
  },
  shape: ({ node, inputs }) => {
    const x = inputs[0]!;
    if (x.shape.length < 2) throw shapeError(node, `Input must be [N, C, ...], got [${x.shape.join(', ')}]`);
    inputs.slice(1).forEach((p, k) => {
      if (p && p.shape.reduce((s, d) => s * d, 1) !== x.shape[1])
        throw shapeError(
          node,
          `Input ${k + 1} has shape [${p.shape.join(', ')}], expected [${x.shape[1]}] (one value per channel)`,
        );
    });
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  forward: (io, { epsilon }) => {
    const p = channelParams(io, epsilon);
    return [{ kernel: channelAffineKernel(io.inputs[0]!.shape, true, 'batch_norm'), args: [input(0), p.a, p.b, output(0)] }];
  },
  vjp: (io, { epsilon }) => {
    const shape = io.inputs[0]!.shape;
    const p = channelParams(io, epsilon);
    return [
      ...(io.wanted[0]
        ? [{ kernel: channelAffineKernel(shape, false, 'batch_norm_dx'), args: [gradOutput(0), p.a, gradInput(0)] }]
        : []),
      ...(io.wanted[1]
        ? [{ kernel: channelGradKernel(shape, 'scale'), args: [input(0), p.mean, p.invStd, gradOutput(0), gradInput(1)] }]
        : []),
      ...(io.wanted[2] ? [{ kernel: channelGradKernel(shape, 'bias'), args: [gradOutput(0), gradInput(2)] }] : []),
    ];
  },
});
