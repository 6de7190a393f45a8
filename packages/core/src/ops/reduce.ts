/**
 * ReduceSum, ReduceMean, ReduceMax, one table row each. `axes` is an attribute before the
 * opset where it became an optional constant input (ReduceSum 13, the others 18); no axes
 * means every axis, or the identity with noop_with_empty_axes (from those opsets). keepdims
 * (default 1) keeps reduced axes as 1s. Folded on the host when the data is a constant (the
 * int shape chains torch emits).
 * https://onnx.ai/onnx/operators/onnx__ReduceSum.html (ReduceMean, ReduceMax alike)
 * VJP: the gradient broadcast back over the reduced axes (÷ count for the mean); the max's
 * shared evenly by the elements equal to it, as torch.amax does.
 */
import { expandKernel, f32Lit, FOLDS, foldKernel, reducedCount, sizeOf, tieCountKernel, unaryKernel, type Fold } from '@camanim/shaders';
import type { HostTensor } from '../graph/ir.ts';
import { intAttr, intsAttr, normAxis } from './attrs.ts';
import { constInts } from './host.ts';
import { defineOp, gradInput, gradOutput, input, output, scratch, type OpIO, type Step } from './op.ts';

export interface ReduceRow {
  readonly type: string;
  /** First opset taking `axes` as input 1 instead of an attribute. */
  readonly axesInputSince: number;
  readonly fold: Fold;
  readonly host: (values: number[]) => number;
  /** dX as WGSL over the broadcast gradient `g`, given the reduced count; undefined: max rule. */
  readonly grad?: (count: number) => string;
}

export const reduceRows: readonly ReduceRow[] = [
  { type: 'ReduceSum', axesInputSince: 13, fold: FOLDS.sum, host: (v) => v.reduce((a, b) => a + b, 0), grad: () => 'g' },
  { type: 'ReduceMean', axesInputSince: 18, fold: FOLDS.mean, host: (v) => v.reduce((a, b) => a + b, 0) / v.length, grad: (n) => `g * ${f32Lit(1 / n)}` },
  { type: 'ReduceMax', axesInputSince: 18, fold: FOLDS.max, host: (v) => Math.max(...v) },
];

interface Attrs {
  readonly keepdims: boolean;
  readonly noop: boolean;
  readonly axes?: readonly number[];
}

/** Normalized sorted axes, or 'noop' for the identity. */
function reducedAxes(io: OpIO, a: Attrs, row: ReduceRow): number[] | 'noop' {
  const rank = io.inputs[0]!.shape.length;
  const given = io.opset >= row.axesInputSince ? constInts(io, 1) : a.axes;
  if (!given || given.length === 0) return a.noop ? 'noop' : Array.from({ length: rank }, (_, k) => k);
  return [...new Set(given.map((x) => normAxis(io.node, x, rank)))].sort((p, q) => p - q);
}

function hostReduce(x: HostTensor, axes: readonly number[], outShape: readonly number[], row: ReduceRow): HostTensor {
  const groups: number[][] = Array.from({ length: sizeOf(outShape) }, () => []);
  const shape = x.shape;
  x.data.forEach((v, i) => {
    let o = 0;
    for (let d = 0, rest = i, stride = sizeOf(shape); d < shape.length; d++) {
      stride /= shape[d];
      const c = Math.floor(rest / stride);
      rest -= c * stride;
      if (!axes.includes(d)) o = o * shape[d] + c;
    }
    groups[o].push(v);
  });
  const data = x.dtype === 'float32' ? new Float32Array(groups.length) : new Float64Array(groups.length);
  groups.forEach((g, o) => (data[o] = row.host(g)));
  return { dtype: x.dtype, shape: outShape, data };
}

export function reduceOp(row: ReduceRow) {
  return defineOp<Attrs>({
    type: row.type,
    constInputs: [1],
    nonDifferentiable: [1],
    attrs: (node, opset) => ({
      keepdims: intAttr(node, 'keepdims', 1) === 1,
      noop: intAttr(node, 'noop_with_empty_axes', 0) === 1,
      axes: opset < row.axesInputSince ? intsAttr(node, 'axes') : undefined,
    }),
    shape: (io, a) => {
      const x = io.inputs[0]!;
      const axes = reducedAxes(io, a, row);
      if (axes === 'noop') return [x];
      const shape = a.keepdims ? x.shape.map((d, k) => (axes.includes(k) ? 1 : d)) : x.shape.filter((_, k) => !axes.includes(k));
      return [{ dtype: x.dtype, shape }];
    },
    fold: (io, a, outs) => {
      const x = io.consts[0];
      if (!x) return undefined;
      const axes = reducedAxes(io, a, row);
      return [axes === 'noop' ? x : hostReduce(x, axes, outs[0].shape, row)];
    },
    forward: (io, a) => {
      const shape = io.inputs[0]!.shape;
      const axes = reducedAxes(io, a, row);
      if (axes === 'noop') return [{ kernel: unaryKernel(`${row.type}_noop`, shape, 'x'), args: [input(0), output(0)] }];
      return [{ kernel: foldKernel(`${row.type}[${shape.join('x')} over ${axes.join(',')}]`, shape, axes, row.fold), args: [input(0), output(0)] }];
    },
    vjp: (io, a): Step[] => {
      const shape = io.inputs[0]!.shape;
      const axes = reducedAxes(io, a, row);
      const name = `${row.type}_grad[${shape.join('x')}]`;
      if (axes === 'noop') return [{ kernel: unaryKernel(name, shape, 'x'), args: [gradOutput(0), gradInput(0)] }];
      if (row.grad) return [{ kernel: expandKernel(name, shape, axes, [{ name: 'G', full: false }], row.grad(reducedCount(shape, axes))), args: [gradOutput(0), gradInput(0)] }];
      const ties = scratch(0, sizeOf(io.outputs[0].shape));
      const inputs = [{ name: 'X', full: true }, { name: 'Y', full: false }, { name: 'G', full: false }, { name: 'CNT', full: false }];
      return [
        { kernel: tieCountKernel(shape, axes), args: [input(0), output(0), ties] },
        { kernel: expandKernel(name, shape, axes, inputs, 'select(0.0, g / cnt, x == y)'), args: [input(0), output(0), gradOutput(0), ties, gradInput(0)] },
      ];
    },
  });
}

export const reduceOps = reduceRows.map(reduceOp);
