/**
 * TopK (opsets 1–11; K an attribute before 10, a constant input since; largest and sorted from
 * 11): the K largest (or smallest) values along `axis` (default -1) and their int64 indices,
 * ties by the lower index, NaN above every number. Outputs are always in order (what sorted=1
 * asks; sorted=0 allows any order). Folded on the host for constant data; on the GPU the
 * indices are an index output (OpDef.indexOutputs, float32 holding the integers).
 * https://onnx.ai/onnx/operators/onnx__TopK.html
 * VJP: the values' gradient at the selected elements, 0 elsewhere; no gradient through K or
 * the indices.
 */
import { topkGradKernel, topkKernel } from '@camanim/shaders';
import { shapeError } from '../errors.ts';
import type { HostTensor } from '../graph/ir.ts';
import { intAttr, normAxis } from './attrs.ts';
import { axisView, orderedRows } from './axis-order.ts';
import { constInts } from './const-inputs.ts';
import { defineOp, gradInput, gradOutput, input, output, type OpIO } from './op.ts';

interface Attrs {
  readonly axis: number;
  readonly largest: boolean;
  /** K as the attribute of opsets before 10. */
  readonly k?: number;
}

function kOf(io: OpIO, a: Attrs): number {
  const k = io.opset < 10 ? [a.k!] : constInts(io, 1);
  const n = io.inputs[0]!.shape[normAxis(io.node, a.axis, io.inputs[0]!.shape.length)];
  if (k?.length !== 1 || k[0] < 0 || k[0] > n)
    throw shapeError(
      io.node,
      `K must be one integer in [0, ${n}] (the axis' size), got [${k?.join(', ') ?? ''}]`,
      'The input may be smaller than the model expects; check the input size',
    );
  return k[0];
}

function hostTopk(x: HostTensor, io: OpIO, a: Attrs, shape: readonly number[]): HostTensor[] {
  const view = axisView(io.node, x.shape, a.axis);
  const [outer, , inner] = view;
  const k = kOf(io, a);
  const values = x.dtype === 'float32' ? new Float32Array(outer * k * inner) : new Float64Array(outer * k * inner);
  const indices = new Float64Array(values.length);
  orderedRows(x.data, view, a.largest).forEach((row, r) => {
    const o = Math.floor(r / inner);
    const q = r % inner;
    row.slice(0, k).forEach((b, rank) => {
      values[(o * k + rank) * inner + q] = x.data[(o * view[1] + b) * inner + q];
      indices[(o * k + rank) * inner + q] = b;
    });
  });
  return [
    { dtype: x.dtype, shape: [...shape], data: values },
    { dtype: 'int64', shape: [...shape], data: indices },
  ];
}

export const topk = defineOp<Attrs>({
  type: 'TopK',
  constInputs: [1],
  nonDifferentiable: [1],
  indexOutputs: [1],
  attrs: (node, opset) => ({
    axis: intAttr(node, 'axis', -1),
    largest: intAttr(node, 'largest', 1) === 1,
    k: opset < 10 ? intAttr(node, 'k') : undefined,
  }),
  shape: (io, a) => {
    const x = io.inputs[0]!.shape;
    const axis = normAxis(io.node, a.axis, x.length);
    axisView(io.node, x, a.axis);
    const shape = x.map((d, j) => (j === axis ? kOf(io, a) : d));
    return [
      { dtype: io.inputs[0]!.dtype, shape },
      { dtype: 'int64', shape },
    ];
  },
  fold: (io, a, outs) => (io.consts[0] ? hostTopk(io.consts[0], io, a, outs[0].shape) : undefined),
  forward: (io, a) => [
    {
      kernel: topkKernel(axisView(io.node, io.inputs[0]!.shape, a.axis), kOf(io, a), a.largest),
      args: [input(0), output(0), output(1)],
    },
  ],
  vjp: (io, a) => [
    {
      kernel: topkGradKernel(axisView(io.node, io.inputs[0]!.shape, a.axis), kOf(io, a), a.largest),
      args: [input(0), gradOutput(0), gradInput(0)],
    },
  ],
});
