/**
 * NonZero (opsets 9, 13): the int64 indices [rank, n] of the nonzero elements, in row-major
 * order. Its output's shape is the count, so it runs only on the host, on an input known at plan
 * time (a two-stage detector's level mapping of constant proposals): one from the image is
 * refused there (constInputs), and a detector's post-processing is cut before it
 * (graph/postprocess-cut.ts). https://onnx.ai/onnx/operators/onnx__NonZero.html
 */
import { stridesOf } from '@camanim/shaders';
import { hostTensor, type HostTensor } from '../graph/ir.ts';
import { defineOp, type OpIO } from './op.ts';

function nonZero(io: OpIO): HostTensor {
  const x = io.consts[0]!;
  const shape = x.shape;
  const strides = stridesOf(shape);
  const hits: number[] = [];
  for (let i = 0; i < x.data.length; i++) if (Number(x.data[i]) !== 0) hits.push(i);
  const data = new Array<number>(shape.length * hits.length);
  hits.forEach((flat, j) => shape.forEach((d, k) => (data[k * hits.length + j] = Math.floor(flat / strides[k]) % d)));
  return hostTensor('int64', [shape.length, hits.length], data);
}

export const nonZeroOp = defineOp<undefined>({
  type: 'NonZero',
  constInputs: [0],
  nonDifferentiable: [0],
  attrs: () => undefined,
  shape: (io) => [{ dtype: 'int64', shape: nonZero(io).shape }],
  fold: (io) => [nonZero(io)],
});
