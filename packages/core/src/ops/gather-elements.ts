/**
 * GatherElements (opsets 11–13): out[c] = data[c with c[axis] = indices[c]], out shaped like
 * indices (same rank as data, no larger along the other axes); negative indices count from the
 * end. Indices must be known at plan time, as Gather's are.
 * https://onnx.ai/onnx/operators/onnx__GatherElements.html
 * VJP: scatter-add of dY into dData (index-gather.ts); no gradient for the indices.
 */
import { stridesOf } from '@camanim/shaders';
import { intAttr, normAxis } from './attrs.ts';
import { shapeError } from '../errors.ts';
import { constInts } from './const-inputs.ts';
import { defineIndexGatherOp, indexIn } from './index-gather.ts';
import type { OpIO } from './op.ts';

export function sources(io: OpIO, { axis }: { axis: number }): { src: Int32Array; shape: number[] } {
  const x = io.inputs[0]!.shape;
  const shape = io.inputs[1]!.shape;
  const a = normAxis(io.node, axis, x.length);
  if (shape.length !== x.length || shape.some((d, k) => k !== a && d > x[k]))
    throw shapeError(
      io.node,
      `indices [${shape.join(', ')}] must have the rank of data [${x.join(', ')}] and no larger dims off axis ${a}`,
    );
  const idx = constInts(io, 1)!;
  const xs = stridesOf(x);
  const is = stridesOf(shape);
  const src = new Int32Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    let s = 0;
    for (let k = 0; k < shape.length; k++) {
      const c = Math.floor(i / is[k]) % shape[k];
      s += (k === a ? indexIn(io.node, idx[i], x[a]) : c) * xs[k];
    }
    src[i] = s;
  }
  return { src, shape: [...shape] };
}

export const gatherElements = defineIndexGatherOp('GatherElements', (node) => ({ axis: intAttr(node, 'axis', 0) }), sources);
