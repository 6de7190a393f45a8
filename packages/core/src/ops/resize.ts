/**
 * Resize (opset 10, 11-18) and Upsample (7, 9): nearest, linear and cubic interpolation over
 * any axes, as a separable gather — per axis, each output coordinate reads a few input
 * coordinates with weights ("taps", resize-taps.ts).
 * https://onnx.ai/onnx/operators/onnx__Resize.html https://onnx.ai/onnx/operators/onnx__Upsample.html
 * Opset 10 and Upsample have no attributes for these: asymmetric coordinates, and nearest
 * rounds down when upsampling and up when downsampling (onnxruntime's "simple" mode).
 * VJP: the transposed gather — each input element sums w · dY over the output elements
 * whose taps read it (nearest: the pixels that copied it; linear: the transposed interpolation).
 */
import type { AxisSpec } from '@camanim/shaders';
import { CamanimError, shapeError } from '../errors.ts';
import { floatAttr, floatsAttr, intAttr, intsAttr, normAxis, stringAttr } from './attrs.ts';
import { gatherStep, gatherVjpStep, hostGather } from './axis-gather.ts';
import { constInts } from './const-inputs.ts';
import { defineOp, gradInput, gradOutput, input, output, type OpDef, type OpIO } from './op.ts';
import { axisTaps, TRANSFORMS, type InterpolationAttrs } from './resize-taps.ts';

interface ResizeAttrs extends InterpolationAttrs {
  readonly extrapolation: number;
  readonly axes?: number[];
  readonly policy: string;
  /** Upsample-7's scales attribute. */
  readonly scales?: number[];
  /** Where the scales input is: 1 for Resize-10 and Upsample-9, 2 from Resize-11 (roi at 1, sizes at 3). */
  readonly scalesInput: number;
}

const floatsOf = (io: OpIO, k: number) =>
  io.node.inputs[k] && io.consts[k]?.data.length ? Array.from(io.consts[k]!.data) : undefined;

function plan(io: OpIO, a: ResizeAttrs, taps = true): { shape: number[]; axes: AxisSpec[] } {
  const x = io.inputs[0]!.shape;
  const axes = a.axes?.map((v) => normAxis(io.node, v, x.length)) ?? x.map((_, k) => k);
  const scales = a.scales ?? floatsOf(io, a.scalesInput);
  const sizes = a.scalesInput === 2 && io.node.inputs[3] && io.consts[3]?.data.length ? constInts(io, 3)! : undefined;
  const roiIn = a.scalesInput === 2 ? floatsOf(io, 1) : undefined;
  if ((sizes ?? scales)?.length !== axes.length) throw shapeError(io.node, `Resize needs ${axes.length} scales or sizes`);
  const scale = x.map(() => 1);
  const out = [...x];
  const roi = x.map((): [number, number] => [0, 1]);
  axes.forEach((d, k) => {
    if (roiIn) roi[d] = [roiIn[k], roiIn[k + axes.length]];
    if (!sizes) {
      scale[d] = scales![k];
      out[d] = Math.floor(x[d] * scale[d]);
    }
  });
  if (sizes) {
    const ratios = axes.map((d, k) => sizes[k] / x[d]);
    const keep = a.policy === 'not_larger' ? Math.min(...ratios) : a.policy === 'not_smaller' ? Math.max(...ratios) : undefined;
    axes.forEach((d, k) => {
      scale[d] = keep ?? ratios[k];
      out[d] = keep === undefined ? sizes[k] : Math.round(keep * x[d]);
    });
  }
  if (scale.some((s) => !(s > 0))) throw shapeError(io.node, `Resize scales must be positive, got [${scale.join(', ')}]`);
  // The reference's output_width is scale · input (a float), except that sizes fix it exactly.
  const outLen = (d: number) => (sizes ? out[d] : scale[d] * x[d]);
  // The shape rule asks for no taps: they are one entry per output coordinate, so a huge size
  // would hang here before the output shape reaches the size and memory checks.
  return { shape: out, axes: taps ? x.map((n, d) => axisTaps(a, n, out[d], scale[d], outLen(d), roi[d])) : [] };
}

function check(node: OpIO['node'], a: ResizeAttrs): ResizeAttrs {
  const refuse = (what: string) =>
    new CamanimError(
      'bad-attribute',
      what,
      { node: node.name, op: node.opType },
      'Re-export the model with mode nearest, linear or cubic',
    );
  if (!['nearest', 'linear', 'cubic'].includes(a.mode)) throw refuse(`${node.opType} mode '${a.mode}' is not supported`);
  if (!TRANSFORMS[a.coord]) throw refuse(`coordinate_transformation_mode '${a.coord}' is not supported`);
  if (intAttr(node, 'antialias', 0)) throw refuse('Resize with antialias=1 is not supported');
  return a;
}

const kernels: Pick<OpDef<ResizeAttrs>, 'shape' | 'fold' | 'forward' | 'vjp'> = {
  shape: (io, a) => [{ dtype: io.inputs[0]!.dtype, shape: plan(io, a, false).shape }],
  fold: (io, a) => {
    if (!io.consts[0]) return undefined;
    const p = plan(io, a);
    return [hostGather(io.consts[0], p.shape, p.axes, a.extrapolation)];
  },
  forward: (io, a) => {
    const p = plan(io, a);
    return gatherStep(`resize[${a.mode}]`, p.shape, io.inputs[0]!.shape, p.axes, input(0), output(0), a.extrapolation);
  },
  vjp: (io, a) =>
    gatherVjpStep(`resize[${a.mode}]`, io.outputs[0].shape, io.inputs[0]!.shape, plan(io, a).axes, gradOutput(0), gradInput(0)),
};

export const resize = defineOp<ResizeAttrs>({
  type: 'Resize',
  constInputs: [1, 2, 3],
  nonDifferentiable: [1, 2, 3],
  attrs: (node, opset) =>
    check(node, {
      mode: stringAttr(node, 'mode', 'nearest'),
      coord: opset < 11 ? 'asymmetric' : stringAttr(node, 'coordinate_transformation_mode', 'half_pixel'),
      nearest: opset < 11 ? 'simple' : stringAttr(node, 'nearest_mode', 'round_prefer_floor'),
      cubicA: floatAttr(node, 'cubic_coeff_a', -0.75),
      excludeOutside: intAttr(node, 'exclude_outside', 0) === 1,
      extrapolation: floatAttr(node, 'extrapolation_value', 0),
      axes: intsAttr(node, 'axes'),
      policy: stringAttr(node, 'keep_aspect_ratio_policy', 'stretch'),
      scalesInput: opset < 11 ? 1 : 2,
    }),
  ...kernels,
});

export const upsample = defineOp<ResizeAttrs>({
  type: 'Upsample',
  constInputs: [1],
  nonDifferentiable: [1],
  attrs: (node, opset) => {
    const mode = stringAttr(node, 'mode', 'nearest');
    const base = {
      coord: 'asymmetric',
      nearest: 'simple',
      cubicA: -0.75,
      excludeOutside: false,
      extrapolation: 0,
      policy: 'stretch',
      scalesInput: 1,
    };
    return check(node, {
      ...base,
      mode: mode === 'bilinear' ? 'linear' : mode,
      scales: opset < 9 ? floatsAttr(node, 'scales') : undefined,
    });
  },
  ...kernels,
});
