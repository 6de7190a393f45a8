/**
 * Slice: a strided window along some axes; a negative step walks backwards. Before opset 10
 * starts/ends/axes are attributes; from 10 on they and `steps` are (constant) inputs.
 * Starts and ends are clamped as the spec says, so INT64_MAX / INT64_MIN mean "to the end".
 * https://onnx.ai/onnx/operators/onnx__Slice.html
 * VJP: the transposed gather — dX is dY where the window read it and zero elsewhere.
 */
import { affineAxis, type AxisSpec } from '@camanim/shaders';
import { shapeError } from '../errors.ts';
import { intsAttr, normAxis } from './attrs.ts';
import { gatherStep, gatherVjpStep, hostGather, intsSince } from './axis-gather.ts';
import { constInts } from './const-inputs.ts';
import { defineOp, gradInput, gradOutput, input, output, type OpIO } from './op.ts';

interface SliceAttrs {
  readonly starts?: number[];
  readonly ends?: number[];
  readonly axes?: number[];
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** The output shape and, per axis, the affine read `start + c * step`. */
function window(io: OpIO, a: SliceAttrs): { shape: number[]; axes: AxisSpec[] } {
  const x = io.inputs[0]!.shape;
  const starts = intsSince(io, 10, a.starts, 1);
  const ends = intsSince(io, 10, a.ends, 2);
  if (!starts || !ends || starts.length !== ends.length)
    throw shapeError(io.node, 'Slice needs starts and ends of the same length');
  const axes = intsSince(io, 10, a.axes, 3) ?? starts.map((_, k) => k);
  const steps = (io.opset >= 10 ? constInts(io, 4) : undefined) ?? starts.map(() => 1);
  if (axes.length !== starts.length || steps.length !== starts.length)
    throw shapeError(io.node, 'Slice axes and steps must match starts in length');
  const shape = [...x];
  const specs = x.map(() => affineAxis(0));
  const seen = new Set<number>();
  axes.forEach((axis, k) => {
    const d = normAxis(io.node, axis, x.length);
    const step = steps[k];
    if (step === 0 || seen.has(d))
      throw shapeError(io.node, step === 0 ? 'Slice step cannot be 0' : `Slice axis ${axis} is repeated`);
    seen.add(d);
    const dim = x[d];
    const s0 = starts[k] < 0 ? starts[k] + dim : starts[k];
    const e0 = ends[k] < 0 ? ends[k] + dim : ends[k];
    // Spec: clamp to [0, dim] for positive steps and to [0, dim-1] / [-1, dim-1] for negative ones.
    const start = step > 0 ? clamp(s0, 0, dim) : clamp(s0, 0, dim - 1);
    const end = step > 0 ? clamp(e0, 0, dim) : clamp(e0, -1, dim - 1);
    shape[d] = Math.max(0, Math.ceil((end - start) / step));
    // With one element the step is never taken: 1, so that a huge one (a stranger's 1e12) never reaches the WGSL.
    specs[d] = affineAxis(shape[d] ? start : 0, shape[d] > 1 ? step : 1);
  });
  return { shape, axes: specs };
}

export const slice = defineOp<SliceAttrs>({
  type: 'Slice',
  constInputs: [1, 2, 3, 4],
  nonDifferentiable: [1, 2, 3, 4],
  attrs: (node, opset) =>
    opset < 10 ? { starts: intsAttr(node, 'starts'), ends: intsAttr(node, 'ends'), axes: intsAttr(node, 'axes') } : {},
  shape: (io, a) => [{ dtype: io.inputs[0]!.dtype, shape: window(io, a).shape }],
  fold: (io, a, outs) => (io.consts[0] ? [hostGather(io.consts[0], outs[0].shape, window(io, a).axes)] : undefined),
  forward: (io, a) => gatherStep('slice', io.outputs[0].shape, io.inputs[0]!.shape, window(io, a).axes, input(0), output(0)),
  vjp: (io, a) =>
    gatherVjpStep('slice', io.outputs[0].shape, io.inputs[0]!.shape, window(io, a).axes, gradOutput(0), gradInput(0)),
});
