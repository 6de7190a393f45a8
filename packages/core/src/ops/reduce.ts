/**
 * ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1, ReduceL2, ReduceSumSquare,
 * ReduceLogSum and ReduceLogSumExp, one table row each. `axes` is an attribute before the
 * opset where it became an optional constant input (ReduceSum 13, the others 18); no axes
 * means every axis, or none with noop_with_empty_axes (from those opsets). keepdims (default
 * 1) keeps reduced axes as 1s. Folded on the host when the data is a constant (the int shape
 * chains torch emits).
 * https://onnx.ai/onnx/operators/onnx__ReduceSum.html (the others alike)
 * VJP: the gradient broadcast back over the reduced axes, times the row's local derivative
 * over x and the reduced y (÷ count for the mean, x / y for L2, exp(-y) for LogSum, exp(x - y)
 * for LogSumExp); the max's and min's shared evenly by the elements equal to it, as
 * torch.amax / amin do; the product's from the product of the non-zero elements and the zero
 * count, exact at zeros (y / x is not), as torch.prod's gradient is.
 */
import {
  expandKernel,
  f32Lit,
  FOLDS,
  foldKernel,
  reducedCount,
  sizeOf,
  tieCountKernel,
  usesVar,
  type Fold,
} from '@camanim/shaders';
import type { HostTensor } from '../graph/ir.ts';
import { intAttr, intsAttr, normAxis } from './attrs.ts';
import { constInts } from './const-inputs.ts';
import { defineOp, gradInput, gradOutput, input, output, scratch, type Arg, type OpIO, type Step } from './op.ts';

export interface ReduceRow {
  readonly type: string;
  /** First opset taking `axes` as input 1 instead of an attribute. */
  readonly axesInputSince: number;
  readonly fold: Fold;
  readonly host: (values: number[]) => number;
  /**
   * dX as WGSL over the broadcast gradient `g`, the input `x`, the reduced output `y` and the
   * `gradFolds` by lowercased name, given the reduced count; undefined: the extreme's tie rule.
   */
  readonly grad?: (count: number) => string;
  /** Further reductions of X the VJP reads (ReduceProd's non-zero product and zero count). */
  readonly gradFolds?: readonly { readonly name: string; readonly fold: Fold }[];
}

const MAX_F32 = f32Lit(Infinity);
// Online log-sum-exp: acc = (running max m, Σ exp(v - m)), rescaled when the max grows.
const LOG_SUM_EXP: Fold = {
  init: `vec2<f32>(-${MAX_F32}, 0.0)`,
  step: 'vec2<f32>(max(acc.x, v), acc.y * exp(acc.x - max(acc.x, v)) + exp(v - max(acc.x, v)))',
  result: () => 'acc.x + log(acc.y)',
};
const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);

export const reduceRows: readonly ReduceRow[] = [
  { type: 'ReduceSum', axesInputSince: 13, fold: FOLDS.sum, host: (v) => v.reduce((a, b) => a + b, 0), grad: () => 'g' },
  {
    type: 'ReduceMean',
    axesInputSince: 18,
    fold: FOLDS.mean,
    host: (v) => v.reduce((a, b) => a + b, 0) / v.length,
    grad: (n) => `g * ${f32Lit(1 / n)}`,
  },
  { type: 'ReduceMax', axesInputSince: 18, fold: FOLDS.max, host: (v) => Math.max(...v) },
  // log(Σ x); dX = g / Σ x = g / exp(y).
  {
    type: 'ReduceLogSum',
    axesInputSince: 18,
    fold: { init: '0.0', step: 'acc + v', result: () => 'log(acc)' },
    host: (v) => Math.log(sum(v)),
    grad: () => 'g * exp(-y)',
  },
  {
    type: 'ReduceMin',
    axesInputSince: 18,
    fold: { init: MAX_F32, step: 'min(acc, v)', result: () => 'acc' },
    host: (v) => Math.min(...v),
  },
  {
    type: 'ReduceProd',
    axesInputSince: 18,
    fold: { init: '1.0', step: 'acc * v', result: () => 'acc' },
    host: (v) => v.reduce((a, b) => a * b, 1),
    gradFolds: [
      { name: 'P', fold: { init: '1.0', step: 'select(acc * v, acc, v == 0.0)', result: () => 'acc' } },
      { name: 'Z', fold: { init: '0.0', step: 'acc + select(0.0, 1.0, v == 0.0)', result: () => 'acc' } },
    ],
    // The product of the others: y / x with no zero, the non-zero product at the only zero, else 0.
    grad: () => 'g * select(select(0.0, p / x, z == 0.0), select(0.0, p, z == 1.0), x == 0.0)',
  },
  {
    type: 'ReduceL1',
    axesInputSince: 18,
    fold: { init: '0.0', step: 'acc + abs(v)', result: () => 'acc' },
    host: (v) => sum(v.map(Math.abs)),
    grad: () => 'g * sign(x)',
  },
  // torch.linalg.norm's gradient at a zero norm is 0 (x / y would be NaN).
  {
    type: 'ReduceL2',
    axesInputSince: 18,
    fold: { init: '0.0', step: 'acc + v * v', result: () => 'sqrt(acc)' },
    host: (v) => Math.sqrt(sum(v.map((x) => x * x))),
    grad: () => 'select(0.0, g * x / y, y > 0.0)',
  },
  {
    type: 'ReduceSumSquare',
    axesInputSince: 18,
    fold: { init: '0.0', step: 'acc + v * v', result: () => 'acc' },
    host: (v) => sum(v.map((x) => x * x)),
    grad: () => 'g * 2.0 * x',
  },
  {
    type: 'ReduceLogSumExp',
    axesInputSince: 18,
    fold: LOG_SUM_EXP,
    host: (v) => {
      const m = Math.max(...v);
      return m + Math.log(sum(v.map((x) => Math.exp(x - m))));
    },
    grad: () => 'g * exp(x - y)',
  },
];

interface Attrs {
  readonly keepdims: boolean;
  readonly noop: boolean;
  readonly axes?: readonly number[];
}

/**
 * Normalized sorted axes. With noop_with_empty_axes and no axes, none: each element reduced
 * alone, which is the identity for most rows and the element map for the others (|x| for
 * ReduceL1, x² for ReduceSumSquare), as the spec's reference implementation computes.
 */
function reducedAxes(io: OpIO, a: Attrs, row: ReduceRow): number[] {
  const rank = io.inputs[0]!.shape.length;
  const given = io.opset >= row.axesInputSince ? constInts(io, 1) : a.axes;
  if (!given || given.length === 0) return a.noop ? [] : Array.from({ length: rank }, (_, k) => k);
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
      const shape = a.keepdims ? x.shape.map((d, k) => (axes.includes(k) ? 1 : d)) : x.shape.filter((_, k) => !axes.includes(k));
      return [{ dtype: x.dtype, shape }];
    },
    fold: (io, a, outs) => {
      const x = io.consts[0];
      if (!x) return undefined;
      const axes = reducedAxes(io, a, row);
      return [hostReduce(x, axes, outs[0].shape, row)];
    },
    forward: (io, a) => {
      const shape = io.inputs[0]!.shape;
      const axes = reducedAxes(io, a, row);
      return [
        {
          kernel: foldKernel(`${row.type}[${shape.join('x')} over ${axes.join(',')}]`, shape, axes, row.fold),
          args: [input(0), output(0)],
        },
      ];
    },
    vjp: (io, a): Step[] => {
      const shape = io.inputs[0]!.shape;
      const axes = reducedAxes(io, a, row);
      const name = `${row.type}_grad[${shape.join('x')}]`;
      if (row.grad) {
        const expr = row.grad(reducedCount(shape, axes));
        const reduced = sizeOf(io.outputs[0].shape);
        const folds = (row.gradFolds ?? []).map((f, k) => ({ ...f, arg: scratch(k, reduced) }));
        const sources: [{ name: string; full: boolean }, Arg][] = [
          [{ name: 'X', full: true }, input(0)],
          [{ name: 'Y', full: false }, output(0)],
          ...folds.map((f): [{ name: string; full: boolean }, Arg] => [{ name: f.name, full: false }, f.arg]),
          [{ name: 'G', full: false }, gradOutput(0)],
        ];
        const used = sources.filter(([v]) => usesVar(expr, v.name.toLowerCase()));
        return [
          ...folds.map((f) => ({
            kernel: foldKernel(`${row.type}_grad_${f.name}[${shape.join('x')} over ${axes.join(',')}]`, shape, axes, f.fold),
            args: [input(0), f.arg],
          })),
          {
            kernel: expandKernel(
              name,
              shape,
              axes,
              used.map(([v]) => v),
              expr,
            ),
            args: [...used.map(([, a]) => a), gradInput(0)],
          },
        ];
      }
      const ties = scratch(0, sizeOf(io.outputs[0].shape));
      const inputs = [
        { name: 'X', full: true },
        { name: 'Y', full: false },
        { name: 'G', full: false },
        { name: 'CNT', full: false },
      ];
      return [
        { kernel: tieCountKernel(shape, axes), args: [input(0), output(0), ties] },
        {
          kernel: expandKernel(name, shape, axes, inputs, 'select(0.0, g / cnt, x == y)'),
          args: [input(0), output(0), gradOutput(0), ties, gradInput(0)],
        },
      ];
    },
  });
}

export const reduceOps = reduceRows.map(reduceOp);
