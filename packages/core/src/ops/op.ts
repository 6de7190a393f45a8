/**
 * The contract of an op module: attribute parsing, a pure shape rule, optional constant
 * folding on the host, the forward kernels and (autograd) the VJPs. See STYLE.md for the
 * order the parts appear in.
 */
import type { FusedStage, KernelSpec, TileProfile } from '@camanim/shaders';
import type { Graph, HostTensor, Node, ValueInfo } from '../graph/ir.ts';

/** What a shape rule or fold sees: the node, input infos and any inputs known at plan time. */
export interface OpIO {
  readonly node: Node;
  readonly opset: number;
  /** undefined where an optional input is omitted (an empty name). */
  readonly inputs: readonly (ValueInfo | undefined)[];
  /** Values of inputs known at plan time (initializers and folded tensors). */
  readonly consts: readonly (HostTensor | undefined)[];
}

/** The same plus inferred outputs, for kernel builders. */
export interface KernelIO extends OpIO {
  readonly outputs: readonly ValueInfo[];
  /** The runtime's register-tile profile: tiled kernel builders (GEMM, convolution) take it. */
  readonly tiles: TileProfile;
}

/** A buffer a kernel binds, in the order the kernel declares its bindings. */
export type Arg =
  | { readonly kind: 'input'; readonly index: number }
  | { readonly kind: 'output'; readonly index: number }
  /** A constant derived at plan time (e.g. a re-laid-out weight), uploaded once per model under `key`. */
  | { readonly kind: 'data'; readonly key: string; readonly data: Float32Array }
  /** A temporary buffer shared by the steps of one node, `id` distinguishes several. */
  | { readonly kind: 'scratch'; readonly id: number; readonly elements: number }
  /** Backward only: the gradient flowing into output `index` / out of input `index`. */
  | { readonly kind: 'gradOutput'; readonly index: number }
  | { readonly kind: 'gradInput'; readonly index: number }
  /** Fused forward only (OpDef.fuse): the operand of the index-th 'add' stage, the output of stage `index`. */
  | { readonly kind: 'stageInput'; readonly index: number }
  | { readonly kind: 'stageOutput'; readonly index: number };

export interface Step {
  readonly kernel: KernelSpec;
  readonly args: readonly Arg[];
}

export const input = (index: number): Arg => ({ kind: 'input', index });
export const output = (index: number): Arg => ({ kind: 'output', index });
export const gradOutput = (index: number): Arg => ({ kind: 'gradOutput', index });
export const gradInput = (index: number): Arg => ({ kind: 'gradInput', index });
export const scratch = (id: number, elements: number): Arg => ({ kind: 'scratch', id, elements });
export const stageInput = (index: number): Arg => ({ kind: 'stageInput', index });
export const stageOutput = (index: number): Arg => ({ kind: 'stageOutput', index });

/** What a VJP builder sees: forward IO plus which input gradients are wanted. */
export interface VjpIO extends KernelIO {
  /** wanted[i]: the gradient with respect to input i is needed. */
  readonly wanted: readonly boolean[];
  /** Backward mode: 'guided' makes ReLU-like VJPs pass only positive gradients. */
  readonly mode: 'standard' | 'guided';
}

export interface OpDef<A = unknown> {
  readonly type: string;
  /** Parses and validates attributes; opset-dependent defaults are stated here once. */
  attrs(node: Node, opset: number): A;
  /**
   * Load-time refusal of a variant camanim does not run, decided from the node and the graph's
   * initializers and declared input dims alone (before any shape is inferred): what is
   * missing and what to do, or undefined when the node is supported.
   */
  unsupported?(node: Node, graph: Graph): { readonly what: string; readonly hint: string } | undefined;
  /**
   * Control flow: the subgraph that replaces this node when it is known at plan time (an If
   * whose condition folds: ops/if.ts), spliced in by inferGraph (graph/inline.ts); its outputs
   * are the node's, in order. Undefined when it is not known: `shape` then runs (and refuses).
   */
  inline?(io: OpIO, attrs: A): Graph | undefined;
  /** Output infos from input infos (and the values of constant inputs where the rule needs them). */
  shape(io: OpIO, attrs: A): ValueInfo[];
  /** Host evaluation when the result is known at plan time; undefined when it is not. */
  fold?(io: OpIO, attrs: A, outputs: readonly ValueInfo[]): HostTensor[] | undefined;
  /** Output 0 is input 0 with another shape: no kernel, the buffer is shared. */
  readonly alias?: boolean;
  /** Indices of inputs that must be known at plan time (Reshape's shape, Slice's starts...). */
  readonly constInputs?: readonly number[];
  forward?(io: KernelIO, attrs: A): Step[];
  /**
   * The forward with element-wise stages fused into its last kernel's store (plan/fuse.ts picks
   * the chains: Conv → Relu, Conv → Add → Relu): the same steps, the last one also binding each
   * 'add' stage's operand (`stageInput(k)`) and writing each stage's output (`stageOutput(s)`).
   */
  fuse?(io: KernelIO, attrs: A, stages: readonly FusedStage[]): Step[];
  /**
   * Gradient steps: for each wanted input i, write every element of `gradInput(i)` (overwrite,
   * never accumulate: the autodiff engine sums fan-in itself) from `gradOutput(k)` and the
   * forward `input(i)` / `output(k)` values, which are all available. An output nobody
   * differentiates gets a zero-filled `gradOutput`. Inputs with no gradient (indices, shapes)
   * are never wanted.
   */
  vjp?(io: VjpIO, attrs: A): Step[];
  /**
   * Shape in which `vjp` writes gradInput(i) when it is not input i's shape (broadcasting
   * ops write the output's shape); the engine then sums it down to the input's shape.
   */
  vjpShape?(io: VjpIO, attrs: A, i: number): readonly number[];
  /**
   * Input i's shape as the forward broadcast it against `vjpShape`, when numpy's right
   * alignment is not the rule (PRelu's legacy [C] slope is [C, 1, 1]): same element count as
   * the input. The engine sums the VJP down to this shape.
   */
  broadcastAs?(io: VjpIO, attrs: A, i: number): readonly number[];
  /**
   * Outputs that are int64 indices computed on the GPU (ArgMax, TopK's indices) when the input
   * is not a constant: float32 buffers holding the integers (exact below 2^24). Comparisons,
   * Cast (to float, int32, int64), reshapes and graph outputs read them as they are; ops that need indices
   * before the run (Gather's) refuse them at plan time, naming the node.
   */
  readonly indexOutputs?: readonly number[];
  /** Inputs through which no gradient flows (shape tensors, indices). */
  readonly nonDifferentiable?: readonly number[];
}

export function defineOp<A>(op: OpDef<A>): OpDef<A> {
  return op;
}
