/**
 * GatherND (opsets 11–13, batch_dims from 12): the last dim of indices (m) addresses the
 * leading m dims of data after `batch_dims` shared batch dims; each index tuple picks a slice
 * data[b..., i1..im, ...]. out shape = indices.shape[:-1] + data.shape[batch_dims + m:].
 * Indices must be known at plan time, as Gather's are.
 * https://onnx.ai/onnx/operators/onnx__GatherND.html
 * VJP: scatter-add of dY into dData (index-gather.ts); no gradient for the indices.
 */
import { stridesOf } from '@camanim/shaders';
import { elementCount } from '../graph/ir.ts';
import { intAttr } from './attrs.ts';
import { shapeError } from '../errors.ts';
import { constInts } from './const-inputs.ts';
import { defineIndexGatherOp, indexIn } from './index-gather.ts';
import type { OpIO } from './op.ts';

export function sources(io: OpIO, { batchDims: b }: { batchDims: number }): { src: Int32Array; shape: number[] } {
  const x = io.inputs[0]!.shape;
  const ishape = io.inputs[1]!.shape;
  const q = ishape.length;
  const m = ishape[q - 1];
  if (
    q < 1 ||
    b < 0 ||
    b >= Math.min(q, x.length) ||
    m === undefined ||
    b + m > x.length ||
    ishape.slice(0, b).some((d, k) => d !== x[k])
  ) {
    throw shapeError(io.node, `indices [${ishape.join(', ')}] do not address data [${x.join(', ')}] with batch_dims ${b}`);
  }
  const inner = x.slice(b + m);
  const slice = elementCount(inner);
  const xs = stridesOf(x);
  const tuples = elementCount(ishape.slice(0, -1));
  const perBatch = elementCount(ishape.slice(b, -1));
  const idx = constInts(io, 1)!;
  const src = new Int32Array(tuples * slice);
  for (let t = 0; t < tuples; t++) {
    // The batch dims of tuple t give data's leading coordinates; batch offset = batch index · data's batch stride.
    const batch = Math.floor(t / perBatch);
    let base = b ? batch * xs[b - 1] : 0;
    for (let k = 0; k < m; k++) base += indexIn(io.node, idx[t * m + k], x[b + k]) * xs[b + k];
    for (let j = 0; j < slice; j++) src[t * slice + j] = base + j;
  }
  return { src, shape: [...ishape.slice(0, -1), ...inner] };
}

export const gatherND = defineIndexGatherOp('GatherND', (node) => ({ batchDims: intAttr(node, 'batch_dims', 0) }), sources);
