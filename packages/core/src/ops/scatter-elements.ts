/**
 * ScatterElements (opsets 11–18; reduction add/mul from 16, max/min from 18) and its
 * predecessor Scatter (opsets 9–10, no reduction): a copy of data with
 * out[c with c[axis] = indices[c]] = updates[c], updates shaped like indices (GatherElements'
 * addressing); negative indices count from the end. Indices must be known at plan time.
 * https://onnx.ai/onnx/operators/onnx__ScatterElements.html, https://onnx.ai/onnx/operators/onnx__Scatter.html
 * VJP (index-scatter.ts): dData and dUpdates per reduction; no gradient for the indices.
 */
import { intAttr } from './attrs.ts';
import { sources } from './gather-elements.ts';
import { defineIndexScatterOp, reductionAttr } from './index-scatter.ts';
import type { Node } from '../graph/ir.ts';

const attrs = (node: Node, opset: number) => ({ reduction: reductionAttr(node, opset), axis: intAttr(node, 'axis', 0) });

export const scatterElements = defineIndexScatterOp('ScatterElements', attrs, sources);
export const scatter = defineIndexScatterOp('Scatter', attrs, sources);
