/**
 * Split: the input cut along `axis` into pieces. Sizes come from the `split` attribute before
 * opset 13 and the optional constant input 1 from 13; without them the axis is cut into equal
 * parts, one per output (opset 18 `num_outputs`: ceil-sized parts, the last one smaller).
 * https://onnx.ai/onnx/operators/onnx__Split.html
 * VJP: each piece's gradient copied back into its slab (together they cover every element).
 */
import { affineAxis, copyIntoKernel } from '@camanim/shaders';
import { shapeError } from '../errors.ts';
import { elementCount } from '../graph/ir.ts';
import { intAttr, intsAttr, normAxis } from './attrs.ts';
import { gatherStep, hostGather, intsSince } from './axis-gather.ts';
import { defineOp, gradInput, gradOutput, input, output, type OpIO } from './op.ts';

interface SplitAttrs {
  readonly axis: number;
  readonly split?: number[];
  readonly numOutputs?: number;
}

/** Each output's shape and its slab (affine reads) of the input. */
function pieces(io: OpIO, a: SplitAttrs) {
  const x = io.inputs[0]!.shape;
  const axis = normAxis(io.node, a.axis, x.length);
  const dim = x[axis];
  const n = io.node.outputs.length;
  let sizes = intsSince(io, 13, a.split, 1);
  if (!sizes) {
    const part = a.numOutputs ? Math.ceil(dim / n) : dim / n;
    if (!Number.isInteger(part)) throw shapeError(io.node, `Split cannot cut an axis of ${dim} into ${n} equal parts`);
    sizes = Array.from({ length: n }, (_, k) => Math.max(0, Math.min(part, dim - k * part)));
  }
  if (sizes.length !== n || sizes.reduce((s, v) => s + v, 0) !== dim || sizes.some((v) => v < 0)) {
    throw shapeError(io.node, `Split sizes [${sizes.join(', ')}] do not cut an axis of ${dim} into ${n} outputs`);
  }
  let start = 0;
  return sizes.map((size) => {
    const shape = [...x];
    shape[axis] = size;
    const axes = x.map((_, d) => affineAxis(d === axis ? start : 0));
    const piece = { shape, axes, axis, start };
    start += size;
    return piece;
  });
}

export const split = defineOp<SplitAttrs>({
  type: 'Split',
  constInputs: [1],
  nonDifferentiable: [1],
  attrs: (node, opset) => ({
    axis: intAttr(node, 'axis', 0),
    split: opset < 13 ? intsAttr(node, 'split') : undefined,
    numOutputs: node.attributes.has('num_outputs') ? intAttr(node, 'num_outputs') : undefined,
  }),
  shape: (io, a) => pieces(io, a).map((p) => ({ dtype: io.inputs[0]!.dtype, shape: p.shape })),
  fold: (io, a) => (io.consts[0] ? pieces(io, a).map((p) => hostGather(io.consts[0]!, p.shape, p.axes)) : undefined),
  forward: (io, a) =>
    pieces(io, a).flatMap((p, k) =>
      io.node.outputs[k] ? gatherStep('split', p.shape, io.inputs[0]!.shape, p.axes, input(0), output(k)) : [],
    ),
  vjp: (io, a) =>
    pieces(io, a).flatMap((p, k) =>
      elementCount(p.shape)
        ? [{ kernel: copyIntoKernel(io.inputs[0]!.shape, p.shape, p.axis, p.start), args: [gradOutput(k), gradInput(0)] }]
        : [],
    ),
});
