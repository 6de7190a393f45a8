/**
 * Shape: the input's dims as int64, always known at plan time (static shapes), so it folds.
 * `start`/`end` from opset 15. https://onnx.ai/onnx/operators/onnx__Shape.html
 */
import { hostTensor } from '../graph/ir.ts';
import { intAttr } from './attrs.ts';
import { defineOp } from './op.ts';

export const shape = defineOp<{ start: number; end?: number }>({
  type: 'Shape',
  attrs: (node) => ({ start: intAttr(node, 'start', 0), end: node.attributes.has('end') ? intAttr(node, 'end') : undefined }),
  shape: ({ inputs }, a) => [{ dtype: 'int64', shape: [dims(inputs[0]!.shape, a).length] }],
  fold: ({ inputs }, a) => {
    const d = dims(inputs[0]!.shape, a);
    return [hostTensor('int64', [d.length], d)];
  },
});

function dims(s: readonly number[], { start, end }: { start: number; end?: number }): number[] {
  const clamp = (v: number) => Math.min(s.length, Math.max(0, v < 0 ? v + s.length : v));
  return s.slice(clamp(start), end === undefined ? s.length : clamp(end));
}
