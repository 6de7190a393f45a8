/**
 * Pad: modes constant / reflect / edge (and wrap, opset 19). Pads are [begin..., end...]; a
 * negative pad crops. Before opset 11 `pads` (`paddings` in opset 1) and `value` are
 * attributes; from 11 they are constant inputs 1 and 2, and from 18 input 3 names the axes.
 * https://onnx.ai/onnx/operators/onnx__Pad.html
 * Each output coordinate reads one input coordinate per axis (or none: the constant), so the
 * VJP is the transposed gather: a crop for constant mode, and for reflect/edge the sum of the
 * gradients of every output element that mirrors or repeats an input element.
 */
import { tapsAxis, type AxisSpec } from '@camanim/shaders';
import { CamanimError, shapeError } from '../errors.ts';
import { floatAttr, intsAttr, normAxis, stringAttr } from './attrs.ts';
import { gatherStep, gatherVjpStep, hostGather, intsSince } from './axis-gather.ts';
import { constInts } from './const-inputs.ts';
import { defineOp, gradInput, gradOutput, input, output, type OpIO } from './op.ts';

interface PadAttrs {
  readonly mode: string;
  readonly pads?: number[];
  readonly value: number;
}

/** Input coordinate read by padded coordinate j (j = output coordinate - begin pad), or -1. */
const SOURCE: Record<string, (j: number, n: number) => number> = {
  constant: (j, n) => (j >= 0 && j < n ? j : -1),
  edge: (j, n) => Math.min(n - 1, Math.max(0, j)),
  // numpy 'reflect' (mirror without repeating the edge), periodic in 2(n-1).
  reflect: (j, n) => {
    if (n === 1) return 0;
    const p = 2 * (n - 1);
    const m = ((j % p) + p) % p;
    return m < n ? m : p - m;
  },
  wrap: (j, n) => ((j % n) + n) % n,
};

function plan(io: OpIO, a: PadAttrs, taps = true): { shape: number[]; axes: AxisSpec[]; fill: number } {
  const x = io.inputs[0]!.shape;
  const given = intsSince(io, 11, a.pads, 1);
  const axes = (io.opset >= 18 ? constInts(io, 3) : undefined)?.map((v) => normAxis(io.node, v, x.length)) ?? x.map((_, k) => k);
  if (!given || given.length !== 2 * axes.length)
    throw shapeError(io.node, `Pad needs ${2 * axes.length} pads, got [${given?.join(', ') ?? ''}]`);
  const begin = x.map(() => 0);
  const end = x.map(() => 0);
  axes.forEach((d, k) => {
    begin[d] = given[k];
    end[d] = given[k + axes.length];
  });
  const shape = x.map((n, d) => n + begin[d] + end[d]);
  const source = SOURCE[a.mode];
  if (!source)
    throw new CamanimError(
      'bad-attribute',
      `Pad mode '${a.mode}' is not supported`,
      { node: io.node.name, op: 'Pad' },
      'Use constant, reflect, edge or wrap',
    );
  if (a.mode !== 'constant' && x.some((n, d) => n === 0 && shape[d] > 0))
    throw shapeError(io.node, `Pad mode '${a.mode}' cannot pad an empty axis`);
  // The shape rule asks for no taps: they are one entry per output coordinate, so a huge pad
  // would hang or exhaust the heap here before the output shape reaches the size checks.
  if (!taps) return { shape, axes: [], fill: 0 };
  const specs = shape.map((m, d) =>
    tapsAxis(
      Array.from({ length: m }, (_, o) => {
        const src = source(o - begin[d], x[d]);
        return src < 0 ? [] : [{ src, w: 1 }];
      }),
    ),
  );
  const value = io.opset >= 11 ? (io.consts[2]?.data[0] ?? 0) : a.value;
  return { shape, axes: specs, fill: a.mode === 'constant' ? value : 0 };
}

export const pad = defineOp<PadAttrs>({
  type: 'Pad',
  constInputs: [1, 2, 3],
  nonDifferentiable: [1, 2, 3],
  attrs: (node, opset) => ({
    mode: stringAttr(node, 'mode', 'constant'),
    pads: opset < 11 ? intsAttr(node, opset < 2 ? 'paddings' : 'pads') : undefined,
    value: floatAttr(node, 'value', 0),
  }),
  shape: (io, a) => [{ dtype: io.inputs[0]!.dtype, shape: plan(io, a, false).shape }],
  fold: (io, a) => {
    if (!io.consts[0]) return undefined;
    const p = plan(io, a);
    return [hostGather(io.consts[0], p.shape, p.axes, p.fill)];
  },
  forward: (io, a) => {
    const p = plan(io, a);
    return gatherStep(`pad[${a.mode}]`, p.shape, io.inputs[0]!.shape, p.axes, input(0), output(0), p.fill);
  },
  vjp: (io, a) =>
    gatherVjpStep(`pad[${a.mode}]`, io.outputs[0].shape, io.inputs[0]!.shape, plan(io, a).axes, gradOutput(0), gradInput(0)),
});
