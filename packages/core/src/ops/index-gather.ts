/**
 * Shared by GatherElements and GatherND: with the indices known at plan time, each output
 * element's source is a host-computed flat index into the data; the forward gathers through it,
 * the VJP scatter-adds through its inverse (CSR lists), and constant data folds on the host.
 */
import { indexGatherKernel, indexScatterAddKernel } from '@camanim/shaders';
import { elementCount, type HostTensor, type Node } from '../graph/ir.ts';
import { shapeError } from '../errors.ts';
import { defineOp, gradInput, gradOutput, input, output, type OpDef, type OpIO, type Step } from './op.ts';

/** f32 index tables are exact below 2^24. */
const F32_EXACT = 2 ** 24;

function table(node: Node, n: number): void {
  if (n >= F32_EXACT)
    throw shapeError(
      node,
      `${n} elements are too many for this gather's index table (under 2^24)`,
      'Run a smaller input, or this model with onnxruntime',
    );
}

export function gatherSteps(node: Node, src: Int32Array): Step[] {
  table(node, src.length);
  const name = `${node.opType.toLowerCase()}[${src.length}]`;
  return [
    {
      kernel: indexGatherKernel(name, src.length),
      args: [input(0), { kind: 'data', key: 'src', data: Float32Array.from(src) }, output(0)],
    },
  ];
}

/** For each of `inputSize` elements, the positions i with src[i] = it, in order: offsets and list (CSR). */
export function csrLists(node: Node, src: Int32Array, inputSize: number): { off: Float32Array; list: Float32Array } {
  table(node, Math.max(src.length, inputSize + 1));
  const off = new Float32Array(inputSize + 1);
  for (const s of src) off[s + 1]++;
  for (let j = 0; j < inputSize; j++) off[j + 1] += off[j];
  const fill = Float32Array.from(off.subarray(0, inputSize));
  const list = new Float32Array(Math.max(1, src.length));
  src.forEach((s, i) => (list[fill[s]++] = i));
  return { off, list };
}

export function scatterAddSteps(node: Node, src: Int32Array, inputSize: number): Step[] {
  const { off, list } = csrLists(node, src, inputSize);
  const name = `${node.opType.toLowerCase()}_grad[${inputSize}]`;
  return [
    {
      kernel: indexScatterAddKernel(name, inputSize),
      args: [gradOutput(0), { kind: 'data', key: 'off', data: off }, { kind: 'data', key: 'list', data: list }, gradInput(0)],
    },
  ];
}

export function hostGatherIndexed(x: HostTensor, src: Int32Array, shape: readonly number[]): HostTensor {
  const data = x.dtype === 'float32' ? new Float32Array(src.length) : new Float64Array(src.length);
  src.forEach((s, i) => (data[i] = Number(x.data[s])));
  return { dtype: x.dtype, shape: [...shape], data };
}

/** An index normalized against a dim of `dim`, or a shape error naming the node. */
export function indexIn(node: Node, v: number, dim: number): number {
  if (v < -dim || v >= dim) throw shapeError(node, `Index ${v} is out of range for an axis of ${dim}`);
  return v < 0 ? v + dim : v;
}

/** Each output element's flat source index into the data, and the output shape. */
export type Sources<A> = (io: OpIO, a: A) => { src: Int32Array; shape: number[] };

/**
 * An op of this family from its attributes and its `sources` rule: the indices (input 1) are
 * plan-time constants with no gradient; shape and fold, the gather and its scatter-add VJP all
 * follow from `sources`.
 */
export function defineIndexGatherOp<A>(type: string, attrs: (node: Node) => A, sources: Sources<A>): OpDef<A> {
  return defineOp<A>({
    type,
    constInputs: [1],
    nonDifferentiable: [1],
    attrs,
    shape: (io, a) => [{ dtype: io.inputs[0]!.dtype, shape: sources(io, a).shape }],
    fold: (io, a) => {
      const x = io.consts[0];
      if (!x) return undefined;
      const { src, shape } = sources(io, a);
      return [hostGatherIndexed(x, src, shape)];
    },
    forward: (io, a) => gatherSteps(io.node, sources(io, a).src),
    vjp: (io, a) => scatterAddSteps(io.node, sources(io, a).src, elementCount(io.inputs[0]!.shape)),
  });
}
