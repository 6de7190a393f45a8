/**
 * Conv: 1-D, 2-D and 3-D convolution with groups (depthwise included), strides, dilations, pads,
 * auto_pad and an optional bias, kernel_shape inferred from W when absent (opsets 1–22). A 1-D
 * convolution runs as a 2-D one over a single row; a 3-D one (video models such as R3D-18,
 * [N, C, T, H, W]) is the 2-D kernels with a depth axis (ConvGeometry.depth). More spatial axes
 * are refused at load time, from kernel_shape, the weight initializer or the declared input.
 * https://onnx.ai/onnx/operators/onnx__Conv.html
 * Constant weights (the usual case) are re-laid out on the host once per model; others are
 * packed by a kernel on every run. The kernels are in packages/shaders/src/conv.ts.
 * VJP: dX is the transposed convolution (window kernels per stride phase), dW an im2col GEMM
 * and dB a sum over images and pixels, the latter two only when asked.
 */
import { convGradInputKernels, convKernel, type ConvGeometry, type FusedStage } from '@camanim/shaders';
import { shapeError } from '../errors.ts';
import type { Node } from '../graph/ir.ts';
import {
  biasGradStep,
  checkSpatialRank,
  convAttrs,
  convWeightGradSteps,
  geometryOfIO,
  packedConvArg,
  plane2d,
  refuseSpatialRanks,
  type ConvAttrs,
} from './conv-attrs.ts';
import { defineOp, gradInput, gradOutput, input, output, stageInput, stageOutput, type KernelIO, type Step } from './op.ts';
import { poolGeometry } from './pool-attrs.ts';

const WHAT = 'convolution';

/**
 * The geometry of the node and its output shape: the last two spatial axes as the plane (a 1-D
 * convolution is a 2-D one of height 1), a third one before them as the depth.
 */
function geometry(node: Node, a: ConvAttrs, x: readonly number[], w: readonly number[]): { g: ConvGeometry; out: number[] } {
  checkSpatialRank(node, WHAT, x);
  const kernel = a.kernel ?? w.slice(2);
  if (w.length !== x.length || kernel.some((k, d) => k !== w[d + 2]))
    throw shapeError(
      node,
      `Weights [${w.join(', ')}] do not match the input [${x.join(', ')}] and kernel_shape [${kernel.join(', ')}]`,
    );
  if (x[1] !== w[1] * a.group || w[0] % a.group)
    throw shapeError(node, `Input channels ${x[1]} and weights [${w.join(', ')}] do not fit group ${a.group}`);
  const pool = poolGeometry(
    node,
    { autoPad: a.autoPad, kernel, strides: a.strides, pads: a.pads, dilations: a.dilations, ceil: false },
    x,
  );
  const out = [x[0], w[0], ...pool.output.slice(2)];
  // 1-D: prepend a unit row (kernel 1, stride 1, no padding).
  const [h, wd] = plane2d(x.slice(2), 1);
  const [oh, ow] = plane2d(out.slice(2), 1);
  const [kh, kw] = plane2d(kernel, 1);
  const depth =
    x.length === 5
      ? { d: x[2], kd: kernel[0], od: out[2], stride: pool.strides[0], dilation: pool.dilations[0], pad: pool.padsBegin[0] }
      : undefined;
  const g: ConvGeometry = {
    n: x[0],
    cin: x[1],
    h,
    w: wd,
    cout: w[0],
    group: a.group,
    kh,
    kw,
    oh,
    ow,
    strides: plane2d(pool.strides, 1),
    dilations: plane2d(pool.dilations, 1),
    pads: plane2d(pool.padsBegin, 0),
    depth,
  };
  return { g, out };
}

/** The packing steps (non-constant weights) and the convolution, with `stages` fused into its store. */
function forwardSteps(io: KernelIO, a: ConvAttrs, stages: readonly FusedStage[]): Step[] {
  const g = geometryOfIO(geometry, io, a).g;
  const bias = Boolean(io.node.inputs[2]);
  const { kernel, pad, inputs } = convKernel(io.tiles, g, bias, undefined, stages);
  const pre: Step[] = [];
  const arg = (k: (typeof inputs)[number]) => (k === 'x' ? input(0) : k === 'wo' ? input(1) : packedConvArg(io, g, k, pad, pre));
  const operands = stages.filter((s) => s.op === 'add').map((_, k) => stageInput(k));
  const args = [...inputs.map(arg), ...operands, output(0), ...stages.map((_, s) => stageOutput(s))];
  return [...pre, { kernel, args }];
}

export const conv = defineOp<ConvAttrs>({
  type: 'Conv',
  attrs: convAttrs,
  unsupported: refuseSpatialRanks(WHAT),
  shape: (io, a) => [{ dtype: io.inputs[0]!.dtype, shape: geometryOfIO(geometry, io, a).out }],
  forward: (io, a) => forwardSteps(io, a, []),
  fuse: forwardSteps,
  vjp: (io, a) => {
    const g = geometryOfIO(geometry, io, a).g;
    const steps: Step[] = [];
    if (io.wanted[0]) {
      for (const { kernel, pad, inputs } of convGradInputKernels(io.tiles, g)) {
        const arg = (k: (typeof inputs)[number]) =>
          k === 'x' ? gradOutput(0) : k === 'wo' ? input(1) : packedConvArg(io, g, k === 'w' ? 'wt' : 'b', pad, steps);
        steps.push({ kernel, args: [...inputs.map(arg), gradInput(0)] });
      }
    }
    if (io.wanted[1]) convWeightGradSteps(io.tiles, g, input(0), gradOutput(0), gradInput(1), steps);
    if (io.wanted[2]) steps.push(biasGradStep('conv_grad_b', io.outputs[0]!.shape, gradOutput(0), gradInput(2)));
    return steps;
  },
});
