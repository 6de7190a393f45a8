/**
 * SpaceToDepth (opsets 1–13): b × b pixel blocks of [N, C, H, W] moved into channels,
 * channel (by·b + bx)·C + c. https://onnx.ai/onnx/operators/onnx__SpaceToDepth.html
 * The inverse of DepthToSpace in DCR mode; shape rule, fold and VJP are in depth-to-space.ts.
 */
import { blockOp } from './depth-to-space.ts';

export const spaceToDepth = blockOp('SpaceToDepth');
