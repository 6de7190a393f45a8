/**
 * Conv: 2-D convolution with groups (depthwise included), strides, dilations, pads, auto_pad
 * and an optional bias, kernel_shape inferred from W when absent (opsets 1–22). A 1-D
 * convolution runs as a 2-D one over a single row; 3-D ones (video models such as R3D-18) are
 * refused at load time, from kernel_shape, the weight initializer or the declared input.
 * https://onnx.ai/onnx/operators/onnx__Conv.html
 * Constant weights (the usual case) are re-laid out on the host once per model; others are
 * packed by a kernel on every run. The kernels are in packages/shaders/src/conv.ts.
 * VJP: dX is the transposed convolution (window kernels per stride phase), dW an im2col GEMM
 * and dB a sum over images and pixels, the latter two only when asked.
 */
import {
  convGradInputKernels,
  convGradWeightKernels,
  convKernel,
  FOLDS,
  foldKernel,
  packBiasKernel,
  packConvBias,
  packConvWeights,
  packWeightsKernel,
  type ConvGeometry,
} from '@camanim/shaders';
import { CamanimError, shapeError } from '../errors.ts';
import type { Node } from '../graph/ir.ts';
import { intAttr, intsAttr, stringAttr } from './attrs.ts';
import { defineOp, gradInput, gradOutput, input, output, scratch, type Arg, type KernelIO, type Step } from './op.ts';
import { poolGeometry } from './pool-attrs.ts';

interface Attrs {
  readonly autoPad: string;
  readonly kernel?: readonly number[];
  readonly strides?: readonly number[];
  readonly pads?: readonly number[];
  readonly dilations?: readonly number[];
  readonly group: number;
}

const SPATIAL_HINT = 'camanim explains 2-D image models (1-D and 2-D convolutions); export a 2-D model, or run this one with onnxruntime';

/** The 2-D geometry of the node and its output shape (a 1-D convolution is a 2-D one of height 1). */
function geometry(node: Node, a: Attrs, x: readonly number[], w: readonly number[]): { g: ConvGeometry; out: number[] } {
  if (x.length !== 3 && x.length !== 4) {
    throw new CamanimError('unsupported-op', `Only 1-D and 2-D convolutions are supported; input is [${x.join(', ')}]`, { node: node.name, op: node.opType }, SPATIAL_HINT);
  }
  const kernel = a.kernel ?? w.slice(2);
  if (w.length !== x.length || kernel.some((k, d) => k !== w[d + 2])) throw shapeError(node, `Weights [${w.join(', ')}] do not match the input [${x.join(', ')}] and kernel_shape [${kernel.join(', ')}]`);
  if (x[1] !== w[1] * a.group || w[0] % a.group) throw shapeError(node, `Input channels ${x[1]} and weights [${w.join(', ')}] do not fit group ${a.group}`);
  const pool = poolGeometry(node, { autoPad: a.autoPad, kernel, strides: a.strides, pads: a.pads, dilations: a.dilations, ceil: false }, x);
  const out = [x[0], w[0], ...pool.output.slice(2)];
  // 1-D: prepend a unit row (kernel 1, stride 1, no padding).
  const two = (v: readonly number[], fill: number) => (v.length === 1 ? [fill, v[0]] : v) as [number, number];
  const [h, wd] = two(x.slice(2), 1);
  const [oh, ow] = two(out.slice(2), 1);
  const [kh, kw] = two(kernel, 1);
  const g: ConvGeometry = {
    n: x[0], cin: x[1], h, w: wd, cout: w[0], group: a.group, kh, kw, oh, ow,
    strides: two(pool.strides, 1), dilations: two(pool.dilations, 1), pads: two(pool.padsBegin, 0),
  };
  return { g, out };
}

const geometryOf = ({ node, inputs }: Pick<KernelIO, 'node' | 'inputs'>, a: Attrs) => geometry(node, a, inputs[0]!.shape, inputs[1]!.shape).g;

/** The packed weights (or bias) for a launch expecting `pad` channels: host-packed constants, else a pack step into scratch. */
function packed(io: KernelIO, g: ConvGeometry, which: 'w' | 'wt' | 'b', pad: number, pre: Step[]): Arg {
  const index = which === 'b' ? 2 : 1;
  const c = io.consts[index];
  const key = `${which}${pad}`;
  if (c) {
    const data = which === 'b' ? packConvBias(c.data, g, pad) : packConvWeights(c.data, g, pad, which === 'wt');
    return { kind: 'data', key, data };
  }
  const kernel = which === 'b' ? packBiasKernel(g, pad) : packWeightsKernel(g, pad, which === 'wt');
  const target = scratch(100 + pre.length, g.group * pad * (which === 'b' ? 1 : (which === 'w' ? g.cin / g.group : g.cout / g.group) * g.kh * g.kw));
  pre.push({ kernel, args: [input(index), target] });
  return target;
}

export const conv = defineOp<Attrs>({
  type: 'Conv',
  attrs: (node) => ({
    autoPad: stringAttr(node, 'auto_pad', 'NOTSET'),
    kernel: intsAttr(node, 'kernel_shape'),
    strides: intsAttr(node, 'strides'),
    pads: intsAttr(node, 'pads'),
    dilations: intsAttr(node, 'dilations'),
    group: intAttr(node, 'group', 1),
  }),
  // Spatial rank from whichever is known before shapes are inferred: the attribute, W, or X's declared dims.
  unsupported: (node, graph) => {
    const w = graph.initializers.get(node.inputs[1])?.shape.length;
    const x = graph.inputs.find((v) => v.name === node.inputs[0])?.dims.length;
    const spatial = intsAttr(node, 'kernel_shape')?.length ?? (w ?? x ?? 4) - 2;
    if (spatial <= 2) return undefined;
    const of = w !== undefined ? `weights '${node.inputs[1]}' are ${w}-D` : x !== undefined ? `input '${node.inputs[0]}' is ${x}-D` : `kernel_shape has ${spatial} dims`;
    return { what: `a ${spatial}-D convolution (${of}) is not supported: only 1-D and 2-D convolutions run`, hint: SPATIAL_HINT };
  },
  shape: ({ node, inputs }, a) => [{ dtype: inputs[0]!.dtype, shape: geometry(node, a, inputs[0]!.shape, inputs[1]!.shape).out }],
  forward: (io, a) => {
    const g = geometryOf(io, a);
    const bias = Boolean(io.node.inputs[2]);
    const { kernel, pad, inputs } = convKernel(io.tiles, g, bias);
    const pre: Step[] = [];
    const arg = (k: (typeof inputs)[number]) => (k === 'x' ? input(0) : k === 'wo' ? input(1) : packed(io, g, k, pad, pre));
    const args = [...inputs.map(arg), output(0)];
    return [...pre, { kernel, args }];
  },
  vjp: (io, a) => {
    const g = geometryOf(io, a);
    const steps: Step[] = [];
    if (io.wanted[0]) {
      for (const { kernel, pad, inputs } of convGradInputKernels(io.tiles, g)) {
        const arg = (k: (typeof inputs)[number]) => (k === 'x' ? gradOutput(0) : k === 'wo' ? input(1) : packed(io, g, k === 'w' ? 'wt' : 'b', pad, steps));
        steps.push({ kernel, args: [...inputs.map(arg), gradInput(0)] });
      }
    }
    if (io.wanted[1]) {
      const w = convGradWeightKernels(io.tiles, g);
      const cols = scratch(0, w.cols);
      steps.push({ kernel: w.im2col, args: [input(0), cols] });
      const dy = w.dyT ? scratch(1, w.dyT.elements) : gradOutput(0);
      if (w.dyT) steps.push({ kernel: w.dyT.kernel, args: [gradOutput(0), dy] });
      steps.push({ kernel: w.gemm, args: [dy, cols, gradInput(1)] });
    }
    if (io.wanted[2]) {
      const shape = [g.n, g.cout, g.oh, g.ow];
      steps.push({ kernel: foldKernel(`conv_grad_b[${g.cout}]`, shape, [0, 2, 3], FOLDS.sum), args: [gradOutput(0), gradInput(2)] });
    }
    return steps;
  },
});
