/**
 * Shared by ScatterND and ScatterElements: with the indices known at plan time, each update
 * element's target is a host-computed flat index into the data (the sources of the matching
 * gather: GatherND's, GatherElements'). The output is the data with every update folded into
 * its target by the reduction; 'none' lets the last of duplicate updates win, as onnxruntime
 * does (the spec leaves duplicates undefined there). Constant data and updates fold on the host
 * (Swin's shifted-window masks). VJPs: dData is dY where no update replaced it ('none'), dY
 * times the updates' product ('mul'), dY shared among the ties of the result ('max'/'min',
 * as torch's scatter_reduce); dUpdates is dY gathered at the target, with the same rules.
 */
import {
  scatterDataGradKernel,
  scatterKernel,
  scatterUpdatesGradKernel,
  type ScatterKernel,
  type ScatterReduction,
} from '@camanim/shaders';
import { CamanimError } from '../errors.ts';
import { elementCount, type HostTensor, type Node } from '../graph/ir.ts';
import { shapeError } from '../errors.ts';
import { stringAttr } from './attrs.ts';
import { csrLists, type Sources } from './index-gather.ts';
import { defineOp, gradInput, gradOutput, input, output, type Arg, type OpDef, type OpIO, type Step } from './op.ts';

const REDUCTIONS: Record<ScatterReduction, number> = { none: 1, add: 16, mul: 16, max: 18, min: 18 };

const HOST: Record<ScatterReduction, (acc: number, u: number) => number> = {
  none: (_, u) => u,
  add: (acc, u) => acc + u,
  mul: (acc, u) => acc * u,
  max: (acc, u) => Math.max(acc, u),
  min: (acc, u) => Math.min(acc, u),
};

/** The `reduction` attribute (opset 16: add, mul; 18: max, min), checked against the model's opset. */
export function reductionAttr(node: Node, opset: number): ScatterReduction {
  const r = stringAttr(node, 'reduction', 'none') as ScatterReduction;
  const since = REDUCTIONS[r];
  if (since === undefined || opset < since) {
    const known = Object.entries(REDUCTIONS)
      .filter(([, v]) => v <= opset)
      .map(([k]) => k);
    throw new CamanimError(
      'bad-attribute',
      `reduction '${r}' is not one of ${node.opType}'s at opset ${opset} (${known.join(', ')})`,
      { node: node.name, op: node.opType },
      'Re-export the model at an opset that defines this reduction (max/min: 18)',
    );
  }
  return r;
}

/** Targets of the updates (input 2), checked to be shaped as the indices address. */
function targets<A>(io: OpIO, a: A, rule: Sources<A>): Int32Array {
  const { src, shape } = rule(io, a);
  const u = io.inputs[2]!.shape;
  if (u.join() !== shape.join())
    throw shapeError(
      io.node,
      `updates [${u.join(', ')}] must be [${shape.join(', ')}], the shape the indices address in data [${io.inputs[0]!.shape.join(', ')}]`,
    );
  return src;
}

function hostScatter(x: HostTensor, u: HostTensor, tgt: Int32Array, r: ScatterReduction): HostTensor {
  const data = x.dtype === 'float32' ? Float32Array.from(x.data) : Float64Array.from(x.data);
  tgt.forEach((j, i) => (data[j] = HOST[r](data[j], Number(u.data[i]))));
  return { dtype: x.dtype, shape: x.shape, data };
}

function bind(k: ScatterKernel, args: Readonly<Record<string, Arg>>, out: Arg): Step {
  return { kernel: k.kernel, args: [...k.reads.map((n) => args[n]), out] };
}

export function defineIndexScatterOp<A extends { reduction: ScatterReduction }>(
  type: string,
  attrs: (node: Node, opset: number) => A,
  rule: Sources<NoInfer<A>>,
): OpDef<A> {
  const tables = (io: OpIO, a: A) => {
    const tgt = targets(io, a, rule);
    const { off, list } = csrLists(io.node, tgt, elementCount(io.inputs[0]!.shape));
    return {
      OFF: { kind: 'data', key: 'off', data: off },
      LIST: { kind: 'data', key: 'list', data: list },
      TGT: { kind: 'data', key: 'tgt', data: Float32Array.from(tgt) },
      X: input(0),
      U: input(2),
      Y: output(0),
      G: gradOutput(0),
    } satisfies Record<string, Arg>;
  };
  const name = (a: A, what: string, n: number) => `${type.toLowerCase()}_${a.reduction}${what}[${n}]`;
  return defineOp<A>({
    type,
    constInputs: [1],
    nonDifferentiable: [1],
    attrs,
    shape: (io, a) => {
      targets(io, a, rule);
      return [{ dtype: io.inputs[0]!.dtype, shape: io.inputs[0]!.shape }];
    },
    fold: (io, a) => {
      const [x, , u] = io.consts;
      return x && u ? [hostScatter(x, u, targets(io, a, rule), a.reduction)] : undefined;
    },
    forward: (io, a) => {
      const n = elementCount(io.inputs[0]!.shape);
      return [bind(scatterKernel(name(a, '', n), n, a.reduction), tables(io, a), output(0))];
    },
    vjp: (io, a) => {
      const t = tables(io, a);
      const n = elementCount(io.inputs[0]!.shape);
      const m = elementCount(io.inputs[2]!.shape);
      return [
        ...(io.wanted[0] ? [bind(scatterDataGradKernel(name(a, '_grad_data', n), n, a.reduction), t, gradInput(0))] : []),
        ...(io.wanted[2] ? [bind(scatterUpdatesGradKernel(name(a, '_grad_updates', m), m, a.reduction), t, gradInput(2))] : []),
      ];
    },
  });
}
