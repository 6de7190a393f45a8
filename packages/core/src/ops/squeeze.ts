/**
 * Squeeze and Unsqueeze: remove / insert size-1 axes. The buffer is shared (alias, no kernel;
 * autodiff passes gradients through aliases). `axes` is an attribute before opset 13 and an
 * optional constant input from 13; Squeeze without axes drops every size-1 axis.
 * https://onnx.ai/onnx/operators/onnx__Squeeze.html
 * https://onnx.ai/onnx/operators/onnx__Unsqueeze.html
 */
import { shapeError } from '../errors.ts';
import { intsAttr, normAxis } from './attrs.ts';
import { intsSince } from './axis-gather.ts';
import { reshaped } from './const-inputs.ts';
import { defineOp, type OpDef, type OpIO } from './op.ts';
import type { ValueInfo } from '../graph/ir.ts';

type AxesAttrs = { readonly axes?: number[] };

function squeezed(io: OpIO, a: AxesAttrs): number[] {
  const x = io.inputs[0]!.shape;
  const given = intsSince(io, 13, a.axes, 1);
  const axes = new Set(given ? given.map((v) => normAxis(io.node, v, x.length)) : x.flatMap((d, k) => (d === 1 ? [k] : [])));
  for (const k of axes)
    if (x[k] !== 1) throw shapeError(io.node, `Cannot squeeze axis ${k} of size ${x[k]} in [${x.join(', ')}]`);
  return x.filter((_, k) => !axes.has(k));
}

function unsqueezed(io: OpIO, a: AxesAttrs): number[] {
  const x = io.inputs[0]!.shape;
  const given = intsSince(io, 13, a.axes, 1);
  if (!given) throw shapeError(io.node, 'Unsqueeze needs axes');
  const rank = x.length + given.length;
  const axes = new Set(given.map((v) => normAxis(io.node, v, rank)));
  if (axes.size !== given.length) throw shapeError(io.node, `Unsqueeze axes [${given.join(', ')}] repeat`);
  const rest = [...x];
  return Array.from({ length: rank }, (_, k) => (axes.has(k) ? 1 : rest.shift()!));
}

function reshapeOp(type: string, rule: (io: OpIO, a: AxesAttrs) => number[]): OpDef<AxesAttrs> {
  return defineOp<AxesAttrs>({
    type,
    alias: true,
    constInputs: [1],
    nonDifferentiable: [1],
    attrs: (node, opset) => ({ axes: opset < 13 ? intsAttr(node, 'axes') : undefined }),
    shape: (io, a): ValueInfo[] => [{ dtype: io.inputs[0]!.dtype, shape: rule(io, a) }],
    fold: ({ consts }, _a, outs) => (consts[0] ? [reshaped(consts[0], outs[0].shape)] : undefined),
  });
}

export const squeeze = reshapeOp('Squeeze', squeezed);
export const unsqueeze = reshapeOp('Unsqueeze', unsqueezed);
