/**
 * RoiAlign (opsets 10 and 16): for each region of interest r (x1, y1, x2, y2 in input
 * coordinates, times spatial_scale) of batch item batch_indices[r], an output_height ×
 * output_width grid of bins, each the average of sampling_ratio² (0: ceil(bin size) per axis)
 * bilinear samples of every channel. https://onnx.ai/onnx/operators/onnx__RoiAlign.html
 * Opset 10 has no coordinate_transformation_mode: it is output_half_pixel (no half-pixel shift,
 * regions at least 1×1: torchvision's roi_align with aligned=False); from 16 the default is
 * half_pixel (aligned=True), which is why torchvision's exports (they write no such attribute)
 * differ from torch at opsets 16–17. Sample positions and clamping as onnxruntime's
 * roialign.cc (its PreCalcForBilinearInterpolate), in f32 as it computes them (the sampling grid is
 * a ceil of the bin size: float64 can pick another grid). mode 'max' is refused: onnxruntime's max
 * takes the largest of the weighted corners, no bilinear value, and no model we explain uses it.
 *
 * The regions and batch indices must be known at plan time (a detector's proposals, chosen on
 * the host): the op is then linear in X, one set of taps (channel-taps.ts) shared by the
 * channels. VJP with respect to X: the transposed taps; none for the regions or indices.
 */
import { channelTapsKernel } from '@camanim/shaders';
import { shapeError } from '../errors.ts';
import { floatAttr, intAttr, stringAttr } from './attrs.ts';
import { constInts } from './const-inputs.ts';
import { defineOp, gradInput, gradOutput, input, output, type Arg, type OpIO, type Step } from './op.ts';

interface RoiAlignAttrs {
  readonly mode: string;
  readonly height: number;
  readonly width: number;
  readonly samplingRatio: number;
  readonly spatialScale: number;
  readonly halfPixel: boolean;
}

/** f32 index tables are exact below 2^24. */
const F32_EXACT = 2 ** 24;

/** Taps CSR-style: row j's are [off[j], off[j + 1]) of base (flat index at channel 0) and w. */
interface Taps {
  readonly off: Float32Array;
  readonly base: Float32Array;
  readonly w: Float32Array;
}

function dims(io: OpIO, a: RoiAlignAttrs) {
  const x = io.inputs[0]!.shape;
  const rois = io.inputs[1]!.shape;
  const idx = io.inputs[2]!.shape;
  if (x.length !== 4) throw shapeError(io.node, `RoiAlign's input must be [N, C, H, W], got [${x.join(', ')}]`);
  if (rois.length !== 2 || rois[1] !== 4 || idx.length !== 1 || idx[0] !== rois[0])
    throw shapeError(
      io.node,
      `RoiAlign needs rois [R, 4] and batch_indices [R], got [${rois.join(', ')}] and [${idx.join(', ')}]`,
    );
  const [N, C, H, W] = x;
  return { N, C, H, W, R: rois[0], P: a.height * a.width };
}

const f = Math.fround;

/** One bilinear sample's four corners and weights (onnxruntime's PreCalcForBilinearInterpolate). */
function corners(y: number, x: number, H: number, W: number): [number, number][] {
  if (y < -1 || y > H || x < -1 || x > W) return [];
  y = y <= 0 ? 0 : y;
  x = x <= 0 ? 0 : x;
  let [y0, x0] = [Math.trunc(y), Math.trunc(x)];
  let [y1, x1] = [y0 + 1, x0 + 1];
  if (y0 >= H - 1) [y0, y1, y] = [H - 1, H - 1, H - 1];
  if (x0 >= W - 1) [x0, x1, x] = [W - 1, W - 1, W - 1];
  const [ly, lx] = [f(y - y0), f(x - x0)];
  const [hy, hx] = [f(1 - ly), f(1 - lx)];
  return [
    [y0 * W + x0, hy * hx],
    [y0 * W + x1, hy * lx],
    [y1 * W + x0, ly * hx],
    [y1 * W + x1, ly * lx],
  ];
}

/** The forward's taps: a row per (region, bin), reading item batch_indices[r]'s plane. */
function forwardTaps(io: OpIO, a: RoiAlignAttrs): Taps {
  const { N, C, H, W, R, P } = dims(io, a);
  const rois = io.consts[1]!.data;
  const batch = constInts(io, 2)!;
  const rows: Map<number, number>[] = [];
  const offset = a.halfPixel ? 0.5 : 0;
  for (let r = 0; r < R; r++) {
    const b = batch[r];
    if (b < 0 || b >= N) throw shapeError(io.node, `batch_indices[${r}] = ${b} is outside the input's batch of ${N}`);
    const [x1, y1, x2, y2] = [0, 1, 2, 3].map((k) => f(f(Number(rois[4 * r + k]) * a.spatialScale) - offset));
    let [rw, rh] = [f(x2 - x1), f(y2 - y1)];
    if (!a.halfPixel) [rw, rh] = [Math.max(rw, 1), Math.max(rh, 1)];
    const [bh, bw] = [f(rh / a.height), f(rw / a.width)];
    // The sampling grid's size is a ceil: computed in f32 as onnxruntime (and torch on an f32 model) do.
    const gh = a.samplingRatio > 0 ? a.samplingRatio : Math.ceil(bh);
    const gw = a.samplingRatio > 0 ? a.samplingRatio : Math.ceil(bw);
    const count = Math.max(gh * gw, 1);
    for (let ph = 0; ph < a.height; ph++)
      for (let pw = 0; pw < a.width; pw++) {
        const taps = new Map<number, number>();
        for (let iy = 0; iy < gh; iy++)
          for (let ix = 0; ix < gw; ix++) {
            const y = f(f(y1 + f(ph * bh)) + f(f((iy + 0.5) * bh) / gh));
            const x = f(f(x1 + f(pw * bw)) + f(f((ix + 0.5) * bw) / gw));
            for (const [pix, w] of corners(y, x, H, W))
              if (w !== 0) taps.set(b * C * H * W + pix, (taps.get(b * C * H * W + pix) ?? 0) + w / count);
          }
        rows[r * P + ph * a.width + pw] = taps;
      }
  }
  const off = new Float32Array(R * P + 1);
  rows.forEach((t, j) => (off[j + 1] = off[j] + t.size));
  const n = off[R * P];
  const [base, w] = [new Float32Array(Math.max(1, n)), new Float32Array(Math.max(1, n))];
  rows.forEach((t, j) => [...t].forEach(([s, v], k) => ([base[off[j] + k], w[off[j] + k]] = [s, v])));
  return { off, base, w };
}

/** The transposed taps: a row per input position (item, pixel), reading dY's (region, bin) at channel 0. */
function transposedTaps(io: OpIO, a: RoiAlignAttrs, t: Taps): Taps {
  const { N, C, H, W, R, P } = dims(io, a);
  const HW = H * W;
  const rowOf = (s: number) => Math.floor(s / (C * HW)) * HW + (s % HW);
  const off = new Float32Array(N * HW + 1);
  const n = t.off[R * P];
  for (let k = 0; k < n; k++) off[rowOf(t.base[k]) + 1]++;
  for (let j = 0; j < N * HW; j++) off[j + 1] += off[j];
  const fill = Float32Array.from(off.subarray(0, N * HW));
  const [base, w] = [new Float32Array(Math.max(1, n)), new Float32Array(Math.max(1, n))];
  for (let j = 0; j < R * P; j++) {
    const dy = Math.floor(j / P) * C * P + (j % P);
    for (let k = t.off[j]; k < t.off[j + 1]; k++) {
      const at = fill[rowOf(t.base[k])]++;
      [base[at], w[at]] = [dy, t.w[k]];
    }
  }
  return { off, base, w };
}

function tapSteps(
  name: string,
  key: string,
  t: Taps,
  outer: number,
  C: number,
  inner: number,
  stride: number,
  x: Arg,
  y: Arg,
): Step[] {
  const kernel = channelTapsKernel(name, { outer, channels: C, inner, stride });
  const data = (key: string, d: Float32Array): Arg => ({ kind: 'data', key, data: d });
  return [{ kernel, args: [x, data(`${key}:off`, t.off), data(`${key}:base`, t.base), data(`${key}:w`, t.w), y] }];
}

export const roiAlign = defineOp<RoiAlignAttrs>({
  type: 'RoiAlign',
  constInputs: [1, 2],
  nonDifferentiable: [1, 2],
  attrs: (node, opset) => ({
    mode: stringAttr(node, 'mode', 'avg'),
    height: intAttr(node, 'output_height', 1),
    width: intAttr(node, 'output_width', 1),
    samplingRatio: intAttr(node, 'sampling_ratio', 0),
    spatialScale: floatAttr(node, 'spatial_scale', 1),
    halfPixel:
      (opset < 16 ? 'output_half_pixel' : stringAttr(node, 'coordinate_transformation_mode', 'half_pixel')) === 'half_pixel',
  }),
  unsupported: (node) => {
    const mode = stringAttr(node, 'mode', 'avg');
    if (mode !== 'avg')
      return {
        what: `RoiAlign mode '${mode}' is not supported (only 'avg', torchvision's roi_align)`,
        hint: 'Export the model with mode avg',
      };
    const coord = stringAttr(node, 'coordinate_transformation_mode', 'half_pixel');
    if (!['half_pixel', 'output_half_pixel'].includes(coord))
      return { what: `RoiAlign coordinate_transformation_mode '${coord}' is not an ONNX mode`, hint: 'Fix the model' };
    return undefined;
  },
  shape: (io, a) => {
    const { N, C, H, W, R } = dims(io, a);
    if (a.height < 1 || a.width < 1 || a.samplingRatio < 0)
      throw shapeError(io.node, 'RoiAlign needs output_height, output_width ≥ 1 and sampling_ratio ≥ 0');
    if (Math.max(N * C * H * W, R * C * a.height * a.width) >= F32_EXACT)
      throw shapeError(io.node, 'RoiAlign input and output must each hold under 2^24 elements', 'Run a smaller input');
    return [{ dtype: io.inputs[0]!.dtype, shape: [R, C, a.height, a.width] }];
  },
  forward: (io, a) => {
    const { C, H, W, R, P } = dims(io, a);
    return tapSteps(`roialign[${R}x${C}x${P}]`, 'taps', forwardTaps(io, a), R, C, P, H * W, input(0), output(0));
  },
  vjp: (io, a) => {
    const { N, C, H, W, P } = dims(io, a);
    const t = transposedTaps(io, a, forwardTaps(io, a));
    return tapSteps(`roialign_grad[${N}x${C}x${H * W}]`, 'grad', t, N, C, H * W, P, gradOutput(0), gradInput(0));
  },
});
