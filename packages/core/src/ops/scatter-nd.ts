/**
 * ScatterND (opsets 11–18; reduction add/mul from 16, max/min from 18): a copy of data with
 * each update slice written at data[indices[t]] (the last dim of indices addresses data's
 * leading dims, as GatherND's with batch_dims 0); updates = indices.shape[:-1] + data.shape[m:].
 * Indices must be known at plan time; Swin's masks (all constants) fold on the host.
 * https://onnx.ai/onnx/operators/onnx__ScatterND.html
 * VJP (index-scatter.ts): dData and dUpdates per reduction; no gradient for the indices.
 */
import type { Node } from '../graph/ir.ts';
import { sources } from './gather-nd.ts';
import { defineIndexScatterOp, reductionAttr } from './index-scatter.ts';

export const scatterND = defineIndexScatterOp(
  'ScatterND',
  (node: Node, opset: number) => ({ reduction: reductionAttr(node, opset), batchDims: 0 }),
  sources,
);
