/**
 * GroupNormalization (opsets 18 and 21): the channels of X [N, C, ...] split into num_groups
 * groups, each (image, group) normalized by its own mean and biased variance over the group's
 * channels and pixels, then y = scale·x̂ + bias. Opset 18 has scale and bias of shape
 * [num_groups], opset 21 of shape [C]; the parameters' length says which (they agree when
 * num_groups = C). stash_type is moot (float32 throughout).
 * https://onnx.ai/onnx/operators/onnx__GroupNormalization.html
 * InstanceNormalization (instance-norm.ts) is this with one channel per group; torch's opset-17
 * export of GroupNorm (Reshape → InstanceNormalization → Reshape → Mul → Add) runs through it.
 * VJP: dX through both statistics; dScale = Σ g·x̂ and dBias = Σ g per parameter.
 */
import {
  groupNormGradKernel,
  groupNormKernel,
  groupNormParamGradKernel,
  groupNormStatsKernel,
  type GroupNormShape,
} from '@camanim/shaders';
import { shapeError } from '../errors.ts';
import { elementCount, type HostTensor } from '../graph/ir.ts';
import { floatAttr, intAttr } from './attrs.ts';
import { defineOp, gradInput, gradOutput, input, output, scratch, type OpIO, type OpDef, type Step } from './op.ts';

export interface NormAttrs {
  /** Channels per group: undefined for InstanceNormalization (one). */
  readonly groups?: number;
  readonly epsilon: number;
}

/** The kernel view of the node, with X's shape and the parameters checked. */
export function normShape({ node, inputs }: OpIO, a: NormAttrs): GroupNormShape {
  const x = inputs[0]!.shape;
  const instance = a.groups === undefined;
  if (x.length < (instance ? 3 : 2))
    throw shapeError(node, `Input must be [N, C${instance ? ', D1, ...' : ', ...'}], got [${x.join(', ')}]`);
  const c = x[1];
  const groups = a.groups ?? c;
  if (!(groups >= 1) || c % groups)
    throw shapeError(node, `num_groups ${groups} must divide the ${c} channels of [${x.join(', ')}]`);
  const counts = [1, 2].map((k) => {
    const p = inputs[k];
    if (!p) throw shapeError(node, `Input ${k} (${k === 1 ? 'scale' : 'bias'}) is required`);
    return elementCount(p.shape);
  });
  const param = counts.every((n) => n === c) ? 'channel' : counts.every((n) => n === groups) ? 'group' : undefined;
  if (!param)
    throw shapeError(
      node,
      `scale [${inputs[1]!.shape.join(', ')}] and bias [${inputs[2]!.shape.join(', ')}] must both hold one value per channel (${c})${instance ? '' : ` or per group (${groups})`}`,
    );
  return { n: x[0], groups, cpg: c / groups, spatial: elementCount(x.slice(2)), epsilon: a.epsilon, param };
}

/** Host evaluation (every input constant), float64. */
function hostNorm(s: GroupNormShape, x: HostTensor, scale: HostTensor, bias: HostTensor): Float32Array {
  const k = s.cpg * s.spatial;
  const y = new Float32Array(x.data.length);
  for (let row = 0; row < s.n * s.groups; row++) {
    let mu = 0;
    for (let j = 0; j < k; j++) mu += Number(x.data[row * k + j]);
    mu /= k;
    let v = 0;
    for (let j = 0; j < k; j++) v += (Number(x.data[row * k + j]) - mu) ** 2;
    const rs = 1 / Math.sqrt(v / k + s.epsilon);
    for (let j = 0; j < k; j++) {
      const p = s.param === 'group' ? row % s.groups : (row % s.groups) * s.cpg + Math.floor(j / s.spatial);
      y[row * k + j] = (Number(x.data[row * k + j]) - mu) * rs * Number(scale.data[p]) + Number(bias.data[p]);
    }
  }
  return y;
}

/** The op definition shared by GroupNormalization and InstanceNormalization. */
export function normOp(type: string, attrs: OpDef<NormAttrs>['attrs']): OpDef<NormAttrs> {
  return defineOp<NormAttrs>({
    type,
    attrs,
    shape: (io, a) => {
      normShape(io, a);
      return [{ dtype: io.inputs[0]!.dtype, shape: io.inputs[0]!.shape }];
    },
    fold: (io, a) => {
      const [x, scale, bias] = io.consts;
      if (!x || !scale || !bias) return undefined;
      return [{ dtype: 'float32', shape: [...x.shape], data: hostNorm(normShape(io, a), x, scale, bias) }];
    },
    forward: (io, a) => [{ kernel: groupNormKernel(normShape(io, a)), args: [input(0), input(1), input(2), output(0)] }],
    vjp: (io, a) => {
      const s = normShape(io, a);
      const steps: Step[] = [];
      if (io.wanted[0]) steps.push({ kernel: groupNormGradKernel(s), args: [input(0), input(1), gradOutput(0), gradInput(0)] });
      if (io.wanted[1]) {
        const stats = scratch(0, 2 * s.n * s.groups);
        steps.push({ kernel: groupNormStatsKernel(s), args: [input(0), stats] });
        steps.push({ kernel: groupNormParamGradKernel(s, 'scale'), args: [input(0), stats, gradOutput(0), gradInput(1)] });
      }
      if (io.wanted[2]) steps.push({ kernel: groupNormParamGradKernel(s, 'bias'), args: [gradOutput(0), gradInput(2)] });
      return steps;
    },
  });
}

export const groupNormalization = normOp('GroupNormalization', (node) => ({
  groups: intAttr(node, 'num_groups'),
  epsilon: floatAttr(node, 'epsilon', 1e-5),
}));
