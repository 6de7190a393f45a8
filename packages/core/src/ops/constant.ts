/**
 * Constant: a tensor from its `value` (or value_float(s)/value_int(s)) attribute, folded.
 * https://onnx.ai/onnx/operators/onnx__Constant.html
 */
import { CamanimError } from '../errors.ts';
import { hostTensor, type HostTensor } from '../graph/ir.ts';
import { floatsAttr, intsAttr, tensorAttr } from './attrs.ts';
import { defineOp } from './op.ts';

export const constant = defineOp<HostTensor>({
  type: 'Constant',
  attrs: (node) => {
    const t = tensorAttr(node, 'value');
    if (t) return t;
    const a = node.attributes;
    if (typeof a.get('value_float') === 'number') return hostTensor('float32', [], [a.get('value_float') as number]);
    if (typeof a.get('value_int') === 'number') return hostTensor('int64', [], [a.get('value_int') as number]);
    const fs = floatsAttr(node, 'value_floats');
    if (fs) return hostTensor('float32', [fs.length], fs);
    const is = intsAttr(node, 'value_ints');
    if (is) return hostTensor('int64', [is.length], is);
    throw new CamanimError('bad-attribute', 'Constant has no supported value attribute', { node: node.name, op: 'Constant' });
  },
  shape: (_io, t) => [{ dtype: t.dtype, shape: t.shape }],
  fold: (_io, t) => [t],
});
