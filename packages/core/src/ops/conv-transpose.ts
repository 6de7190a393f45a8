/**
 * ConvTranspose: 1-D (as one row), 2-D and 3-D transposed convolution with groups, strides,
 * dilations, pads, auto_pad, output_padding, output_shape and an optional bias (opsets 1–22).
 * https://onnx.ai/onnx/operators/onnx__ConvTranspose.html
 * Output size per axis: s·(in − 1) + output_padding + (k − 1)·d + 1 − pads; with output_shape
 * (or SAME_*, output in·s) the total padding is that size minus the asked one, split with the
 * odd one at the end for SAME_UPPER and at the start otherwise (the spec's floor divisions). A
 * negative total (an output past the last window, test_convtranspose_output_shape) extends the
 * output with zeros plus bias as the spec's reference does; onnxruntime refuses it (output_shape)
 * or keeps the natural size (SAME_*).
 * It is the input gradient of the convolution from Y to X with the same weights, so it runs
 * the conv window kernels per stride phase (packages/shaders/src/conv-transpose.ts).
 * VJP: dX is that convolution's forward over dY, dW its weight gradient with dY as the input
 * and X as the output gradient, dB a sum over images and pixels; all exact reuses of conv.ts'
 * kernels (3-D: their depth axis). Constant inputs fold on the host in 1-D and 2-D; 3-D ones run on the GPU.
 */
import { convKernel, convTransposeKernels, type ConvGeometry } from '@camanim/shaders';
import { shapeError } from '../errors.ts';
import type { HostTensor, Node } from '../graph/ir.ts';
import { intsAttr } from './attrs.ts';
import {
  biasGradStep,
  checkSpatialRank,
  convAttrs,
  convWeightGradSteps,
  geometryOfIO,
  packedConvArg,
  plane2d,
  refuseSpatialRanks,
  type ConvAttrs,
} from './conv-attrs.ts';
import { defineOp, gradInput, gradOutput, input, output, type Arg, type KernelIO, type Step } from './op.ts';

interface Attrs extends ConvAttrs {
  readonly outputPadding?: readonly number[];
  readonly outputShape?: readonly number[];
}

const WHAT = 'transposed convolution';

/**
 * The convolution whose input gradient this is (its input is our output Y, its output our
 * input X), as 2-D geometry, and our output shape.
 */
function geometry(node: Node, a: Attrs, x: readonly number[], w: readonly number[]): { g: ConvGeometry; out: number[] } {
  checkSpatialRank(node, WHAT, x);
  const nsp = x.length - 2;
  const kernel = a.kernel ?? w.slice(2);
  if (w.length !== x.length || kernel.length !== nsp || kernel.some((k, d) => k !== w[d + 2]))
    throw shapeError(
      node,
      `Weights [${w.join(', ')}] do not match the input [${x.join(', ')}] and kernel_shape [${kernel.join(', ')}]`,
    );
  if (x[1] !== w[0] || w[0] % a.group)
    throw shapeError(
      node,
      `Input channels ${x[1]} and weights [${w.join(', ')}] (the first dim is the input channels) do not fit group ${a.group}`,
    );
  const list = (name: string, v: readonly number[] | undefined, len: number, fill: number) => {
    if (v && v.length !== len)
      throw shapeError(node, `'${name}' has ${v.length} values, expected ${len} for a ${nsp}-D transposed convolution`);
    if (v?.some((e) => !(e >= 0 && e < 2 ** 31)))
      throw shapeError(node, `'${name}' is [${v.join(', ')}]; values must be non-negative`);
    return v ?? Array<number>(len).fill(fill);
  };
  const strides = list('strides', a.strides, nsp, 1);
  const dilations = list('dilations', a.dilations, nsp, 1);
  const pads = list('pads', a.pads, 2 * nsp, 0);
  const outPad = list('output_padding', a.outputPadding, nsp, 0);
  // output_shape may list the spatial dims only or the whole shape.
  const asked = a.outputShape?.slice(-nsp);
  if (a.outputShape && a.outputShape.length !== nsp && a.outputShape.length !== nsp + 2)
    throw shapeError(node, `'output_shape' [${a.outputShape.join(', ')}] must have ${nsp} (or ${nsp + 2}) values`);
  if (!['NOTSET', 'VALID', 'SAME_UPPER', 'SAME_LOWER'].includes(a.autoPad))
    throw shapeError(node, `auto_pad '${a.autoPad}' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER`);
  if ([...strides, ...dilations].some((v) => v < 1))
    throw shapeError(node, `strides [${strides.join(', ')}] and dilations [${dilations.join(', ')}] must be at least 1`);
  const begin: number[] = [];
  const out = x.slice(2).map((size, d) => {
    const natural = strides[d] * (size - 1) + outPad[d] + (kernel[d] - 1) * dilations[d] + 1;
    let o: number;
    if (asked || a.autoPad === 'SAME_UPPER' || a.autoPad === 'SAME_LOWER') {
      o = asked ? asked[d] : size * strides[d];
      // Negative past what the window reaches: the output goes on, zeros (and the bias) only.
      const total = natural - o;
      begin.push(a.autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : total - Math.floor(total / 2));
    } else if (a.autoPad === 'VALID') {
      o = natural;
      begin.push(0);
    } else {
      o = natural - pads[d] - pads[d + nsp];
      begin.push(pads[d]);
    }
    if (!(o >= 1))
      throw shapeError(
        node,
        `The output would have ${o} elements along spatial axis ${d} (input [${x.join(', ')}], kernel [${kernel.join(', ')}], pads [${pads.join(', ')}])`,
        "Check the model's pads and output_shape",
      );
    return o;
  });
  const [h, wd] = plane2d(out, 1);
  const [ih, iw] = plane2d(x.slice(2), 1);
  const [kh, kw] = plane2d(kernel, 1);
  // 3-D: the convolution from Y to X has Y's depth as its input depth and X's as its output's.
  const depth =
    nsp === 3 ? { d: out[0], kd: kernel[0], od: x[2], stride: strides[0], dilation: dilations[0], pad: begin[0] } : undefined;
  const g: ConvGeometry = {
    n: x[0],
    cin: w[1] * a.group,
    h,
    w: wd,
    cout: w[0],
    group: a.group,
    kh,
    kw,
    oh: ih,
    ow: iw,
    strides: plane2d(strides, 1),
    dilations: plane2d(dilations, 1),
    pads: plane2d(begin, 0),
    depth,
  };
  return { g, out: [x[0], w[1] * a.group, ...out] };
}

/** The weights (or bias) in a window launch's layout; the bias has one value per output channel of ours: the convolution's input channels. */
const packed = (io: KernelIO, g: ConvGeometry, which: 'w' | 'wt' | 'b', pad: number, pre: Step[]) =>
  packedConvArg(io, g, which, pad, pre, { ...g, cout: g.cin });

/** Host evaluation (all inputs constant), float64, straight from the definition. */
function hostConvTranspose(g: ConvGeometry, x: HostTensor, w: HostTensor, b: HostTensor | undefined): Float32Array {
  const [ci, co] = [g.cin / g.group, g.cout / g.group];
  const plane = g.h * g.w;
  const y = new Float64Array(g.n * g.cin * plane);
  for (let n = 0; n < g.n; n++)
    for (let c = 0; c < g.cout; c++)
      for (let iy = 0; iy < g.oh; iy++)
        for (let ix = 0; ix < g.ow; ix++) {
          const v = Number(x.data[((n * g.cout + c) * g.oh + iy) * g.ow + ix]);
          const grp = Math.floor(c / co);
          for (let m = 0; m < ci; m++)
            for (let ky = 0; ky < g.kh; ky++)
              for (let kx = 0; kx < g.kw; kx++) {
                const oy = iy * g.strides[0] - g.pads[0] + ky * g.dilations[0];
                const ox = ix * g.strides[1] - g.pads[1] + kx * g.dilations[1];
                if (oy < 0 || oy >= g.h || ox < 0 || ox >= g.w) continue;
                y[((n * g.cin + grp * ci + m) * g.h + oy) * g.w + ox] +=
                  v * Number(w.data[((c * ci + m) * g.kh + ky) * g.kw + kx]);
              }
        }
  if (b) y.forEach((v, i) => (y[i] = v + Number(b.data[Math.floor(i / plane) % g.cin])));
  return Float32Array.from(y);
}

export const convTranspose = defineOp<Attrs>({
  type: 'ConvTranspose',
  attrs: (node) => ({
    ...convAttrs(node),
    outputPadding: intsAttr(node, 'output_padding'),
    outputShape: intsAttr(node, 'output_shape'),
  }),
  unsupported: refuseSpatialRanks(WHAT),
  shape: (io, a) => [{ dtype: io.inputs[0]!.dtype, shape: geometryOfIO(geometry, io, a).out }],
  fold: (io, a) => {
    const [x, w, b] = io.consts;
    if (!x || !w || (io.node.inputs[2] && !b) || x.shape.length === 5) return undefined;
    const { g, out } = geometry(io.node, a, x.shape, w.shape);
    return [{ dtype: 'float32', shape: out, data: hostConvTranspose(g, x, w, io.node.inputs[2] ? b : undefined) }];
  },
  forward: (io, a) => {
    const g = geometryOfIO(geometry, io, a).g;
    const pre: Step[] = [];
    // Every phase shares one padded layout: pack (or upload) it once.
    const memo = new Map<string, Arg>();
    const once = (k: 'wt' | 'b', pad: number) =>
      memo.get(`${k}${pad}`) ?? memo.set(`${k}${pad}`, packed(io, g, k, pad, pre)).get(`${k}${pad}`)!;
    const steps = convTransposeKernels(io.tiles, g, Boolean(io.node.inputs[2])).map(({ kernel, pad, inputs }) => {
      const arg = (k: (typeof inputs)[number]): Arg =>
        k === 'x' ? input(0) : k === 'wo' ? input(1) : k === 'bo' ? input(2) : once(k, pad);
      return { kernel, args: [...inputs.map(arg), output(0)] };
    });
    return [...pre, ...steps];
  },
  vjp: (io, a) => {
    const g = geometryOfIO(geometry, io, a).g;
    const steps: Step[] = [];
    if (io.wanted[0]) {
      // dX = the convolution's forward over dY.
      const { kernel, pad, inputs } = convKernel(io.tiles, g, false);
      const arg = (k: (typeof inputs)[number]) =>
        k === 'x' ? gradOutput(0) : k === 'wo' ? input(1) : packed(io, g, k === 'w' ? 'w' : 'b', pad, steps);
      steps.push({ kernel, args: [...inputs.map(arg), gradInput(0)] });
    }
    // dW = the convolution's weight gradient, its input dY and its output gradient X.
    if (io.wanted[1]) convWeightGradSteps(io.tiles, g, gradOutput(0), input(0), gradInput(1), steps);
    if (io.wanted[2]) steps.push(biasGradStep('conv_transpose_grad_b', io.outputs[0]!.shape, gradOutput(0), gradInput(2)));
    return steps;
  },
});
