/**
 * Transpose: output axis k is input axis perm[k] (default: the axes reversed).
 * https://onnx.ai/onnx/operators/onnx__Transpose.html
 * VJP: the transpose of the gradient by the inverse permutation.
 */
import { indexMapKernel, linearIndex, stridesOf } from '@camanim/shaders';
import { shapeError } from '../errors.ts';
import { elementCount, type HostTensor } from '../graph/ir.ts';
import { intsAttr } from './attrs.ts';
import { defineOp, gradInput, gradOutput, input, output, type Arg, type OpIO, type Step } from './op.ts';

function permOf(io: OpIO, attr: number[] | undefined): number[] {
  const rank = io.inputs[0]!.shape.length;
  const perm = attr ?? Array.from({ length: rank }, (_, k) => rank - 1 - k);
  if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, k) => p !== k)) {
    throw shapeError(io.node, `perm [${perm.join(', ')}] is not a permutation of ${rank} axes`);
  }
  return perm;
}

/** Kernel writing `inShape` permuted by `perm` (output coord k reads input axis perm[k]). */
function transposeStep(inShape: readonly number[], perm: readonly number[], from: Arg, to: Arg): Step {
  const outShape = perm.map((p) => inShape[p]);
  const coords: string[] = [];
  perm.forEach((p, k) => (coords[p] = `c${k}`));
  return {
    kernel: indexMapKernel(`transpose[${perm.join(',')}]`, outShape, `  let src = ${linearIndex(coords, inShape)};`),
    args: [from, to],
  };
}

function hostTranspose(x: HostTensor, perm: readonly number[]): HostTensor {
  const shape = perm.map((p) => x.shape[p]);
  const inStrides = stridesOf(x.shape);
  const n = elementCount(shape);
  const out = x.dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  const coord = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    out[i] = x.data[coord.reduce((s, c, k) => s + c * inStrides[perm[k]], 0)];
    for (let k = shape.length - 1; k >= 0 && ++coord[k] >= shape[k]; k--) coord[k] = 0;
  }
  return { dtype: x.dtype, shape, data: out };
}

export const transpose = defineOp<{ perm?: number[] }>({
  type: 'Transpose',
  attrs: (node) => ({ perm: intsAttr(node, 'perm') }),
  shape: (io, a) => [{ dtype: io.inputs[0]!.dtype, shape: permOf(io, a.perm).map((p) => io.inputs[0]!.shape[p]) }],
  fold: (io, a) => (io.consts[0] ? [hostTranspose(io.consts[0], permOf(io, a.perm))] : undefined),
  forward: (io, a) => [transposeStep(io.inputs[0]!.shape, permOf(io, a.perm), input(0), output(0))],
  vjp: (io, a) => {
    const perm = permOf(io, a.perm);
    const inverse: number[] = [];
    perm.forEach((p, k) => (inverse[p] = k));
    return [transposeStep(io.outputs[0].shape, inverse, gradOutput(0), gradInput(0))];
  },
});
