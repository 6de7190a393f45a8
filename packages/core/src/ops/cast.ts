/**
 * Cast: to another element type. On the GPU every tensor is float32, so a float → float cast
 * is the identity (alias, no kernel); casts of constants (torch's int shape chains) fold on the
 * host. A cast to an integer type of a tensor computed at run time is refused at load time, but
 * for indices computed on the GPU cast to int32 or int64 (the identity).
 * https://onnx.ai/onnx/operators/onnx__Cast.html
 */
import { CamanimError } from '../errors.ts';
import { isFloat, type DType, type HostTensor } from '../graph/ir.ts';
import { dtypeOf } from '../onnx/tensor.ts';
import { intAttr } from './attrs.ts';
import { defineOp } from './op.ts';

/** One value converted as numpy's astype does: ints truncate toward zero, bool is != 0. */
function castValue(v: number, to: DType): number {
  if (isFloat(to)) return to === 'float32' ? Math.fround(v) : v;
  if (to === 'bool') return v !== 0 ? 1 : 0;
  return Math.trunc(v);
}

export function hostCast(x: HostTensor, to: DType): HostTensor {
  const data = to === 'float32' ? new Float32Array(x.data.length) : new Float64Array(x.data.length);
  x.data.forEach((v, k) => (data[k] = castValue(v, to)));
  return { dtype: to, shape: x.shape, data };
}

export const cast = defineOp<{ to: DType }>({
  type: 'Cast',
  alias: true,
  attrs: (node) => {
    const to = dtypeOf(intAttr(node, 'to'));
    if (to === 'string' || to === 'unknown')
      throw new CamanimError('bad-attribute', `Cast to ${to} is not supported`, { node: node.name, op: 'Cast' });
    return { to };
  },
  shape: ({ node, inputs, consts }, { to }) => {
    // Indices computed on the GPU (OpDef.indexOutputs) are integers already: int32/int64 keep them.
    const index = !isFloat(inputs[0]!.dtype) && inputs[0]!.dtype !== 'bool' && (to === 'int64' || to === 'int32');
    if (!consts[0] && !isFloat(to) && !index) {
      throw new CamanimError(
        'bad-model',
        `Cast of '${node.inputs[0]}' to ${to} at run time is not supported: camanim computes float32 on the GPU, and only shapes and constants may be cast to integer types`,
        { node: node.name, op: 'Cast' },
        'Export the model with this cast folded, or with static input shapes',
      );
    }
    return [{ dtype: to, shape: inputs[0]!.shape }];
  },
  fold: ({ consts }, { to }) => (consts[0] ? [hostCast(consts[0], to)] : undefined),
});
