/**
 * Gather: entries of `data` along `axis` picked by constant `indices` (negative counts from the
 * end); out shape = data[:axis] + indices + data[axis+1:]. Int data (torch's Shape → Gather
 * chains) folds on the host; float data gathers on the GPU.
 * https://onnx.ai/onnx/operators/onnx__Gather.html
 * VJP: the scatter-add written as a gather — dX[j] sums dY over the indices equal to j.
 */
import { affineAxis, tapsAxis, type AxisSpec } from '@camanim/shaders';
import { shapeError } from '../errors.ts';
import { elementCount } from '../graph/ir.ts';
import { intAttr, normAxis } from './attrs.ts';
import { gatherStep, gatherVjpStep, hostGather } from './axis-gather.ts';
import { constInts, reshaped } from './const-inputs.ts';
import { defineOp, gradInput, gradOutput, input, output, type OpIO } from './op.ts';

/** The gather viewed as [outer, n, inner] ← [outer, dim, inner] with one tap per index. */
function view(io: OpIO, axis: number) {
  const x = io.inputs[0]!.shape;
  const a = normAxis(io.node, axis, x.length);
  const dim = x[a];
  const indices = constInts(io, 1)!.map((v) => {
    if (v < -dim || v >= dim) throw shapeError(io.node, `Gather index ${v} is out of range for an axis of ${dim}`);
    return v < 0 ? v + dim : v;
  });
  const outer = elementCount(x.slice(0, a));
  const inner = elementCount(x.slice(a + 1));
  const axes: AxisSpec[] = [affineAxis(0), tapsAxis(indices.map((src) => [{ src, w: 1 }])), affineAxis(0)];
  return {
    shape: [...x.slice(0, a), ...io.inputs[1]!.shape, ...x.slice(a + 1)],
    inView: [outer, dim, inner],
    outView: [outer, indices.length, inner],
    axes,
  };
}

export const gather = defineOp<{ axis: number }>({
  type: 'Gather',
  constInputs: [1],
  nonDifferentiable: [1],
  attrs: (node) => ({ axis: intAttr(node, 'axis', 0) }),
  shape: (io, { axis }) => [{ dtype: io.inputs[0]!.dtype, shape: view(io, axis).shape }],
  fold: (io, { axis }) => {
    const x = io.consts[0];
    if (!x) return undefined;
    const v = view(io, axis);
    return [reshaped(hostGather(reshaped(x, v.inView), v.outView, v.axes), v.shape)];
  },
  forward: (io, { axis }) => {
    const v = view(io, axis);
    return gatherStep('gather', v.outView, v.inView, v.axes, input(0), output(0));
  },
  vjp: (io, { axis }) => {
    const v = view(io, axis);
    return gatherVjpStep('gather', v.outView, v.inView, v.axes, gradOutput(0), gradInput(0));
  },
});
