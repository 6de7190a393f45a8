/**
 * CumSum (opsets 11–14): the running sum of x along the constant scalar `axis` input, inclusive
 * or `exclusive` (the first entry 0), forwards or in `reverse`. Int inputs (index arithmetic)
 * fold on the host. https://onnx.ai/onnx/operators/onnx__CumSum.html
 * VJP: dX = CumSum(dY) in the opposite direction with the same exclusivity (each x_j feeds y_i
 * for i ≥ j forwards, so dx_j = Σ_{i≥j} dy_i).
 */
import { cumsumKernel } from '@camanim/shaders';
import { shapeError } from '../errors.ts';
import { elementCount, type HostTensor } from '../graph/ir.ts';
import { intAttr, normAxis } from './attrs.ts';
import { constInts } from './const-inputs.ts';
import { defineOp, gradInput, gradOutput, input, output, type OpIO } from './op.ts';

interface Attrs {
  readonly exclusive: boolean;
  readonly reverse: boolean;
}

/** [outer, n, inner] around the axis. */
function view(io: OpIO): [number, number, number] {
  const x = io.inputs[0]!.shape;
  const axis = constInts(io, 1);
  if (axis?.length !== 1) throw shapeError(io.node, `The axis input must be one integer, got [${axis?.join(', ') ?? ''}]`);
  const a = normAxis(io.node, axis[0], x.length);
  return [elementCount(x.slice(0, a)), x[a], elementCount(x.slice(a + 1))];
}

function hostCumsum(x: HostTensor, [outer, n, inner]: [number, number, number], a: Attrs): HostTensor {
  const data = x.dtype === 'float32' ? new Float32Array(x.data.length) : new Float64Array(x.data.length);
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < inner; j++) {
      let acc = 0;
      for (let k = 0; k < n; k++) {
        const off = (o * n + (a.reverse ? n - 1 - k : k)) * inner + j;
        if (a.exclusive) data[off] = acc;
        acc += Number(x.data[off]);
        if (!a.exclusive) data[off] = acc;
      }
    }
  return { dtype: x.dtype, shape: [...x.shape], data };
}

export const cumsum = defineOp<Attrs>({
  type: 'CumSum',
  constInputs: [1],
  nonDifferentiable: [1],
  attrs: (node) => ({ exclusive: intAttr(node, 'exclusive', 0) === 1, reverse: intAttr(node, 'reverse', 0) === 1 }),
  shape: (io) => {
    view(io);
    return [{ dtype: io.inputs[0]!.dtype, shape: io.inputs[0]!.shape }];
  },
  fold: (io, a) => (io.consts[0] ? [hostCumsum(io.consts[0], view(io), a)] : undefined),
  forward: (io, a) => [{ kernel: cumsumKernel(...view(io), a.exclusive, a.reverse), args: [input(0), output(0)] }],
  vjp: (io, a) => [{ kernel: cumsumKernel(...view(io), a.exclusive, !a.reverse), args: [gradOutput(0), gradInput(0)] }],
});
