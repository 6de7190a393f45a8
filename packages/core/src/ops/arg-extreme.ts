/**
 * ArgMax and ArgMin (opsets 1–13; select_last_index from 12): the int64 index of the first
 * (or last) extreme along `axis` (default 0), keepdims (default 1) keeping it as a 1. NaN is the
 * extreme of both, as numpy and torch (and onnxruntime for the first index) have it. Folded on
 * the host when the data is a constant; computed on the GPU otherwise, as an index output
 * (OpDef.indexOutputs: float32 holding the integer, which comparisons, Cast to float and graph
 * outputs read as it is). No gradient flows through an index.
 * https://onnx.ai/onnx/operators/onnx__ArgMax.html, https://onnx.ai/onnx/operators/onnx__ArgMin.html
 */
import { argExtremeKernel } from '@camanim/shaders';
import type { HostTensor } from '../graph/ir.ts';
import { intAttr, normAxis } from './attrs.ts';
import { above, axisView } from './axis-order.ts';
import { defineOp, input, output, type OpDef } from './op.ts';

interface Attrs {
  readonly axis: number;
  readonly keepdims: boolean;
  readonly last: boolean;
}

function hostArg(
  x: HostTensor,
  view: readonly [number, number, number],
  largest: boolean,
  last: boolean,
  shape: readonly number[],
): HostTensor {
  const [outer, n, inner] = view;
  const data = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++)
    for (let q = 0; q < inner; q++) {
      const at = (b: number) => Number(x.data[(o * n + b) * inner + q]);
      let best = 0;
      for (let b = 1; b < n; b++)
        if (last ? !above(at(best), at(b), largest, true) : above(at(b), at(best), largest, true)) best = b;
      data[o * inner + q] = best;
    }
  return { dtype: 'int64', shape: [...shape], data };
}

function argOp(type: 'ArgMax' | 'ArgMin'): OpDef<Attrs> {
  const largest = type === 'ArgMax';
  return defineOp<Attrs>({
    type,
    indexOutputs: [0],
    nonDifferentiable: [0],
    attrs: (node) => ({
      axis: intAttr(node, 'axis', 0),
      keepdims: intAttr(node, 'keepdims', 1) === 1,
      last: intAttr(node, 'select_last_index', 0) === 1,
    }),
    shape: ({ node, inputs }, a) => {
      const x = inputs[0]!.shape;
      axisView(node, x, a.axis);
      const axis = normAxis(node, a.axis, x.length);
      return [{ dtype: 'int64', shape: a.keepdims ? x.map((d, k) => (k === axis ? 1 : d)) : x.filter((_, k) => k !== axis) }];
    },
    fold: ({ node, consts }, a, outs) =>
      consts[0] ? [hostArg(consts[0], axisView(node, consts[0].shape, a.axis), largest, a.last, outs[0].shape)] : undefined,
    forward: ({ node, inputs }, a) => [
      { kernel: argExtremeKernel(axisView(node, inputs[0]!.shape, a.axis), largest, a.last), args: [input(0), output(0)] },
    ],
  });
}

export const argMax = argOp('ArgMax');
export const argMin = argOp('ArgMin');
