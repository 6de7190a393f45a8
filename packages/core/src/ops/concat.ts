/**
 * Concat: inputs joined along `axis` (required from opset 4; 1 before). Each input is copied
 * into its slab of the output; the VJP slices the gradient back into each input's slab.
 * https://onnx.ai/onnx/operators/onnx__Concat.html
 */
import { affineAxis, copyIntoKernel } from '@camanim/shaders';
import { shapeError } from '../errors.ts';
import { elementCount, type HostTensor } from '../graph/ir.ts';
import { intAttr, normAxis } from './attrs.ts';
import { gatherStep } from './axis-gather.ts';
import { defineOp, gradInput, gradOutput, input, output, type OpIO } from './op.ts';

/** Offsets of each input along the axis, and the output shape. */
function layout(io: OpIO, axis: number): { axis: number; offsets: number[]; shape: number[] } {
  const shapes = io.inputs.map((x) => x!.shape);
  const a = normAxis(io.node, axis, shapes[0].length);
  const offsets: number[] = [];
  let total = 0;
  for (const s of shapes) {
    if (s.length !== shapes[0].length || s.some((d, k) => k !== a && d !== shapes[0][k])) {
      throw shapeError(io.node, `Concat inputs [${shapes.map((x) => x.join('x')).join('], [')}] differ outside axis ${axis}`);
    }
    offsets.push(total);
    total += s[a];
  }
  const shape = [...shapes[0]];
  shape[a] = total;
  return { axis: a, offsets, shape };
}

/** Host concatenation: per outer index, each input's contiguous chunk in turn. */
function hostConcat(ts: readonly HostTensor[], axis: number, shape: number[]): HostTensor {
  const outer = elementCount(shape.slice(0, axis));
  const out = ts[0].dtype === 'float32' ? new Float32Array(elementCount(shape)) : new Float64Array(elementCount(shape));
  let pos = 0;
  for (let o = 0; o < outer; o++) {
    for (const t of ts) {
      const chunk = elementCount(t.shape.slice(axis));
      out.set(t.data.subarray(o * chunk, (o + 1) * chunk), pos);
      pos += chunk;
    }
  }
  return { dtype: ts[0].dtype, shape, data: out };
}

export const concat = defineOp<{ axis: number }>({
  type: 'Concat',
  attrs: (node, opset) => ({ axis: intAttr(node, 'axis', opset < 4 ? 1 : undefined) }),
  shape: (io, { axis }) => [{ dtype: io.inputs[0]!.dtype, shape: layout(io, axis).shape }],
  fold: (io, { axis }) => {
    if (io.consts.some((c) => !c)) return undefined;
    const l = layout(io, axis);
    return [hostConcat(io.consts as HostTensor[], l.axis, l.shape)];
  },
  forward: (io, { axis }) => {
    const l = layout(io, axis);
    return io.inputs.flatMap((x, k) =>
      elementCount(x!.shape)
        ? [{ kernel: copyIntoKernel(l.shape, x!.shape, l.axis, l.offsets[k]), args: [input(k), output(0)] }]
        : [],
    );
  },
  vjp: (io, { axis }) => {
    const l = layout(io, axis);
    return io.inputs.flatMap((x, k) => {
      if (!io.wanted[k]) return [];
      const axes = x!.shape.map((_, d) => affineAxis(d === l.axis ? l.offsets[k] : 0));
      return gatherStep('concat_vjp', x!.shape, l.shape, axes, gradOutput(0), gradInput(k));
    });
  },
});
