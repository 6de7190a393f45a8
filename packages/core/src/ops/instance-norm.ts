/**
 * InstanceNormalization (opsets 1–22): each (image, channel) plane of X [N, C, D1, ...]
 * normalized by its own mean and biased variance, then y = scale[c]·x̂ + B[c].
 * https://onnx.ai/onnx/operators/onnx__InstanceNormalization.html
 * It is GroupNormalization with one channel per group: the kernels, fold and VJPs are those of
 * group-norm.ts.
 */
import { floatAttr } from './attrs.ts';
import { normOp } from './group-norm.ts';

export const instanceNormalization = normOp('InstanceNormalization', (node) => ({ epsilon: floatAttr(node, 'epsilon', 1e-5) }));
