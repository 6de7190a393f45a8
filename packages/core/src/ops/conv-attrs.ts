/**
 * What Conv and ConvTranspose share: the attributes both have, the load-time refusal of more
 * than 3 spatial axes, the 2-D (1-D as one row) view of their geometry's last two axes, the weight/bias packing for the
 * window kernels, and the weight and bias gradients, which are the same kernels with the
 * roles of input and output gradient swapped (tfjs Conv2D_grad.ts).
 * https://onnx.ai/onnx/operators/onnx__Conv.html , onnx__ConvTranspose.html
 */
import {
  convGradWeightKernels,
  FOLDS,
  foldKernel,
  packBiasKernel,
  packConvBias,
  packConvWeights,
  packWeightsKernel,
  tapsOf,
  type ConvGeometry,
  type TileProfile,
} from '@camanim/shaders';
import { CamanimError } from '../errors.ts';
import type { Graph, Node } from '../graph/ir.ts';
import { intAttr, intsAttr, stringAttr } from './attrs.ts';
import { input, scratch, type Arg, type KernelIO, type OpDef, type Step } from './op.ts';

/** The attributes Conv and ConvTranspose both have (opsets 1–22, no opset-dependent defaults). */
export interface ConvAttrs {
  readonly autoPad: string;
  readonly kernel?: readonly number[];
  readonly strides?: readonly number[];
  readonly pads?: readonly number[];
  readonly dilations?: readonly number[];
  readonly group: number;
}

export function convAttrs(node: Node): ConvAttrs {
  return {
    autoPad: stringAttr(node, 'auto_pad', 'NOTSET'),
    kernel: intsAttr(node, 'kernel_shape'),
    strides: intsAttr(node, 'strides'),
    pads: intsAttr(node, 'pads'),
    dilations: intsAttr(node, 'dilations'),
    group: intAttr(node, 'group', 1),
  };
}

/** `what` names the op in messages: 'convolution' or 'transposed convolution'. */
const ranksText = (what: string) => `1-D, 2-D and 3-D ${what}s`;
const SPATIAL_HINT = 'Export the model with at most 3 spatial axes ([N, C, T, H, W]), or run this one with onnxruntime';

/**
 * The load-time refusal of more than 3 spatial axes, with the rank from whichever is known
 * before shapes are inferred: the attribute, W, or X's declared dims.
 */
export function refuseSpatialRanks(what: string): NonNullable<OpDef['unsupported']> {
  return (node: Node, graph: Graph) => {
    const w = graph.initializers.get(node.inputs[1])?.shape.length;
    const x = graph.inputs.find((v) => v.name === node.inputs[0])?.dims.length;
    const spatial = intsAttr(node, 'kernel_shape')?.length ?? (w ?? x ?? 4) - 2;
    if (spatial <= 3) return undefined;
    const of =
      w !== undefined
        ? `weights '${node.inputs[1]}' are ${w}-D`
        : x !== undefined
          ? `input '${node.inputs[0]}' is ${x}-D`
          : `kernel_shape has ${spatial} dims`;
    return { what: `a ${spatial}-D ${what} (${of}) is not supported: only ${ranksText(what)} run`, hint: SPATIAL_HINT };
  };
}

/** The same refusal at shape time, for an input whose rank was not known at load. */
export function checkSpatialRank(node: Node, what: string, x: readonly number[]): void {
  if (x.length >= 3 && x.length <= 5) return;
  throw new CamanimError(
    'unsupported-op',
    `Only ${ranksText(what)} are supported; input is [${x.join(', ')}]`,
    { node: node.name, op: node.opType },
    SPATIAL_HINT,
  );
}

/** The last one or two spatial values as two: a 1-D op is a 2-D one over a single row of `fill`. */
export const plane2d = (v: readonly number[], fill: number) =>
  (v.length === 1 ? [fill, v[0]] : [v[v.length - 2], v[v.length - 1]]) as [number, number];

/** The 2-D geometry of a node and its output shape. */
export type ConvGeometryOf<A> = (
  node: Node,
  a: A,
  x: readonly number[],
  w: readonly number[],
) => { g: ConvGeometry; out: number[] };

/** `geometry` applied to the node's X and W. */
export const geometryOfIO = <A>(geometry: ConvGeometryOf<A>, { node, inputs }: Pick<KernelIO, 'node' | 'inputs'>, a: A) =>
  geometry(node, a, inputs[0]!.shape, inputs[1]!.shape);

/**
 * The weights (or bias) in a window launch's layout expecting `pad` channels: host-packed
 * constants, else a pack step into scratch. `bias` is the geometry whose `cout` counts the
 * bias values (ConvTranspose's bias has one per input channel of the convolution it inverts).
 */
export function packedConvArg(
  io: KernelIO,
  g: ConvGeometry,
  which: 'w' | 'wt' | 'b',
  pad: number,
  pre: Step[],
  bias: ConvGeometry = g,
): Arg {
  const index = which === 'b' ? 2 : 1;
  const c = io.consts[index];
  const key = `${which}${pad}`;
  if (c)
    return {
      kind: 'data',
      key,
      data: which === 'b' ? packConvBias(c.data, bias, pad) : packConvWeights(c.data, g, pad, which === 'wt'),
    };
  const kernel = which === 'b' ? packBiasKernel(bias, pad) : packWeightsKernel(g, pad, which === 'wt');
  const per = which === 'b' ? 1 : (which === 'w' ? g.cin / g.group : g.cout / g.group) * tapsOf(g);
  const target = scratch(100 + pre.length, g.group * pad * per);
  pre.push({ kernel, args: [input(index), target] });
  return target;
}

/**
 * The weight gradient of the convolution `g`: im2col of its input `x`, then a GEMM with its
 * output gradient `dy` (transposed first when the tile layout asks). Appended to `steps`.
 */
export function convWeightGradSteps(tiles: TileProfile, g: ConvGeometry, x: Arg, dy: Arg, into: Arg, steps: Step[]): void {
  const w = convGradWeightKernels(tiles, g);
  const cols = scratch(0, w.cols);
  steps.push({ kernel: w.im2col, args: [x, cols] });
  const dyT = w.dyT ? scratch(1, w.dyT.elements) : dy;
  if (w.dyT) steps.push({ kernel: w.dyT.kernel, args: [dy, dyT] });
  steps.push({ kernel: w.gemm, args: [dyT, cols, into] });
}

/** The bias gradient: `dy` of shape [N, C, ...spatial] summed over images and positions. */
export function biasGradStep(name: string, shape: readonly number[], dy: Arg, into: Arg): Step {
  const axes = shape.map((_, k) => k).filter((k) => k !== 1);
  return { kernel: foldKernel(`${name}[${shape[1]}]`, [...shape], axes, FOLDS.sum), args: [dy, into] };
}
