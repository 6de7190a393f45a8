/**
 * LayerNormalization (opset 17): each row — the block of dims from `axis` (default -1) on — is
 * normalized by its own mean and biased variance, then scaled and shifted by Scale and the
 * optional B, which broadcast to that block. The optional Mean and InvStdDev outputs (shape
 * [...X.shape[:axis], 1, ...]) come from the same kernel; stash_type is moot (float32 throughout).
 * https://onnx.ai/onnx/operators/onnx__LayerNormalization.html
 * VJP: dX through both statistics; dScale = Σ_rows g·x̂ and dB = Σ_rows g in the block's shape
 * (vjpShape), which the engine sums to a broadcast parameter's shape. Gradients arriving at
 * Mean / InvStdDev are not propagated: they are training-time side outputs.
 */
import {
  layerNormGradKernel,
  layerNormKernel,
  layerNormParamGradKernel,
  layerNormStatsKernel,
  type LayerNormShape,
} from '@camanim/shaders';
import { shapeError } from '../errors.ts';
import type { ValueInfo } from '../graph/ir.ts';
import { floatAttr, intAttr, normAxis } from './attrs.ts';
import { defineOp, gradInput, gradOutput, input, output, scratch, type OpIO, type Step } from './op.ts';

interface Attrs {
  readonly axis: number;
  readonly epsilon: number;
}

/** Kernel geometry: the normalized axis and parameter shapes, checked to broadcast to the block. */
function geometry({ node, inputs }: OpIO, a: Attrs): LayerNormShape {
  const shape = inputs[0]!.shape;
  const axis = normAxis(node, a.axis, shape.length);
  const block = shape.slice(axis);
  const param = (p: ValueInfo | undefined, name: string) => {
    if (!p) return undefined;
    const extra = Math.max(0, p.shape.length - block.length);
    const s = p.shape.slice(extra);
    const fits =
      p.shape.slice(0, extra).every((d) => d === 1) && s.every((d, k) => d === 1 || d === block[block.length - s.length + k]);
    if (!fits)
      throw shapeError(
        node,
        `${name} of shape [${p.shape.join(', ')}] does not broadcast to the normalized block [${block.join(', ')}]`,
      );
    return s;
  };
  const scale = param(inputs[1], 'Scale');
  if (!scale) throw shapeError(node, 'The Scale input (1) is required');
  return { shape, axis, epsilon: a.epsilon, scale, bias: param(inputs[2], 'B') };
}

export const layerNormalization = defineOp<Attrs>({
  type: 'LayerNormalization',
  attrs: (node) => ({ axis: intAttr(node, 'axis', -1), epsilon: floatAttr(node, 'epsilon', 1e-5) }),
  shape: (io, a) => {
    const l = geometry(io, a);
    const stats = { dtype: io.inputs[0]!.dtype, shape: l.shape.map((d, k) => (k < l.axis ? d : 1)) };
    return [{ dtype: io.inputs[0]!.dtype, shape: l.shape }, stats, stats];
  },
  forward: (io, a) => {
    const l = geometry(io, a);
    const [, meanOut, invStdOut] = io.node.outputs;
    const rows = l.shape.slice(0, l.axis).reduce((p, d) => p * d, 1);
    const params = [input(0), input(1), ...(l.bias ? [input(2)] : [])];
    // Either statistics output asked for: both come from the kernel, the other into scratch.
    const stats = meanOut || invStdOut ? [meanOut ? output(1) : scratch(0, rows), invStdOut ? output(2) : scratch(1, rows)] : [];
    return [{ kernel: layerNormKernel(l, stats.length > 0), args: [...params, output(0), ...stats] }];
  },
  vjp: (io, a) => {
    const l = geometry(io, a);
    const rows = l.shape.slice(0, l.axis).reduce((p, d) => p * d, 1);
    const steps: Step[] = [];
    if (io.wanted[0]) steps.push({ kernel: layerNormGradKernel(l), args: [input(0), input(1), gradOutput(0), gradInput(0)] });
    if (io.wanted[1]) {
      const stats = scratch(0, 2 * rows);
      steps.push({ kernel: layerNormStatsKernel(l), args: [input(0), stats] });
      steps.push({ kernel: layerNormParamGradKernel(l, 'scale'), args: [input(0), stats, gradOutput(0), gradInput(1)] });
    }
    if (io.wanted[2]) steps.push({ kernel: layerNormParamGradKernel(l, 'bias'), args: [gradOutput(0), gradInput(2)] });
    return steps;
  },
  vjpShape: (io, a, i) => {
    const l = geometry(io, a);
    return i === 0 ? l.shape : l.shape.slice(l.axis);
  },
});
