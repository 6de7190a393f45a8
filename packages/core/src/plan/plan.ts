/**
 * A plan turns inferred nodes into kernel steps with every buffer named: graph values by
 * tensor name, derived constants by key, scratch per node. It is built once per input shape
 * and executed many times; it holds no GPU memory itself.
 */
import type { KernelSpec, TileProfile } from '@camanim/shaders';
import { CamanimError, isCamanimError } from '../errors.ts';
import type { Inferred, InferredNode } from '../graph/infer.ts';
import { elementCount, isFloat, type ValueInfo } from '../graph/ir.ts';
import type { Arg, KernelIO, Step } from '../ops/op.ts';
import { fusedChains } from './fuse.ts';

export type BufferRef =
  | { readonly kind: 'value'; readonly name: string }
  | { readonly kind: 'data'; readonly key: string; readonly data: Float32Array }
  | { readonly kind: 'scratch'; readonly elements: number; readonly id: number };

export interface PlanStep {
  readonly node: InferredNode;
  readonly kernel: KernelSpec;
  readonly buffers: readonly BufferRef[];
}

export interface PlanNode {
  readonly node: InferredNode;
  readonly steps: readonly PlanStep[];
  /** Output 0 shares input 0's buffer (reshape-like ops). */
  readonly alias: boolean;
}

export interface Plan {
  readonly inferred: Inferred;
  readonly nodes: readonly PlanNode[];
  /** For each value, the value whose buffer it shares (itself unless aliased). */
  readonly root: ReadonlyMap<string, string>;
  /** The tile profile its kernels were built for (the backward plan built from it uses it too). */
  readonly tiles: TileProfile;
}

export function kernelIO(inferred: Inferred, n: InferredNode, opset: number, tiles: TileProfile): KernelIO {
  const { node } = n;
  return {
    node,
    opset,
    tiles,
    inputs: node.inputs.map((x) => (x ? inferred.values.get(x) : undefined)),
    consts: node.inputs.map((x) => (x ? inferred.consts.get(x) : undefined)),
    outputs: node.outputs.map((x) => inferred.values.get(x) as ValueInfo),
  };
}

/** Resolves an op-level Arg to a plan-level buffer reference. */
export function resolveArg(a: Arg, n: InferredNode, valueFor: (a: Arg) => string | undefined): BufferRef {
  switch (a.kind) {
    case 'data':
      return { kind: 'data', key: `${n.node.name}:${a.key}`, data: a.data };
    case 'scratch':
      return { kind: 'scratch', id: a.id, elements: a.elements };
    default: {
      const name = valueFor(a);
      if (!name)
        throw new CamanimError('bad-model', `Kernel of this node needs ${a.kind} ${a.index}, which the node does not have`, {
          node: n.node.name,
          op: n.node.opType,
        });
      return { kind: 'value', name };
    }
  }
}

/**
 * Kernel steps for `nodes`, built for the runtime's tile profile `tiles` (Runtime.tiles);
 * `fuse`: element-wise chains after a convolution run in its kernel (fuse.ts, Runtime.fuse).
 */
export function buildPlan(
  inferred: Inferred,
  nodes: readonly InferredNode[],
  opset: number,
  source: string,
  tiles: TileProfile,
  fuse: boolean,
): Plan {
  const root = new Map<string, string>();
  const rootOf = (name: string) => root.get(name) ?? name;
  const planNodes = nodes.map((n): PlanNode => {
    const io = kernelIO(inferred, n, opset, tiles);
    const where = { file: source, node: n.node.name, op: n.node.opType };
    // Integer inputs computed on the GPU: indices of ArgMax/ArgMin/TopK (OpDef.indexOutputs) and their reshapes.
    const gpuIndex = (k: number) =>
      !!io.inputs[k] && !io.consts[k] && !isFloat(io.inputs[k]!.dtype) && io.inputs[k]!.dtype !== 'bool';
    io.outputs.forEach((o, k) => {
      // Optional outputs may be omitted with an empty name. Bools are 0/1 in float32 (compare.ts).
      const index = n.op.indexOutputs?.includes(k) || (n.op.alias && k === 0 && gpuIndex(0));
      if (n.node.outputs[k] && !isFloat(o.dtype) && o.dtype !== 'bool' && !index) {
        const from = io.inputs.findIndex((_, i) => gpuIndex(i));
        const hint =
          from >= 0
            ? `Its input '${n.node.inputs[from]}' holds indices computed on the GPU (ArgMax, ArgMin, TopK): camanim compares them, casts them (to float, int32, int64), reshapes and returns them, but does no integer arithmetic on them. Explain an output before this node, or run the model with onnxruntime`
            : 'Integer tensors must come from shapes or constants';
        throw new CamanimError(
          'bad-model',
          `Output '${n.node.outputs[k]}' is ${o.dtype} and not known before the run; camanim computes float32 tensors on the GPU only`,
          where,
          hint,
        );
      }
    });
    if (n.op.alias) {
      // Output 0 shares input 0's buffer, so it must have a name (only optional outputs may be empty).
      if (!n.node.outputs[0]) {
        throw new CamanimError(
          'bad-model',
          `${n.node.opType} has an empty name for its output 0`,
          where,
          'Only optional outputs may be omitted; the model file is corrupt',
        );
      }
      root.set(n.node.outputs[0], rootOf(n.node.inputs[0]));
      return { node: n, steps: [], alias: true };
    }
    // Outputs with no elements need nothing written (and kernels over them would divide by 0);
    // kernels that read an empty tensor into a non-empty one are not supported.
    if (io.outputs.every((o, k) => !n.node.outputs[k] || elementCount(o.shape) === 0))
      return { node: n, steps: [], alias: false };
    const empty = io.inputs.findIndex(
      (x, k) => x && n.node.inputs[k] && !inferred.consts.has(n.node.inputs[k]) && elementCount(x.shape) === 0,
    );
    if (empty >= 0) {
      throw new CamanimError(
        'bad-shape',
        `Input '${n.node.inputs[empty]}' is empty ([${io.inputs[empty]!.shape.join(', ')}]) but this node's output is not; camanim does not run kernels over empty tensors`,
        { ...where, tensor: n.node.inputs[empty] },
        'Check the input size the model expects, or remove the empty branch from the model',
      );
    }
    return { node: n, steps: planSteps(n, () => n.op.forward!(io, n.attrs), source), alias: false };
  });
  if (fuse) {
    for (const c of fusedChains(inferred, nodes)) {
      const n = nodes[c.nodes[0]];
      const io = kernelIO(inferred, n, opset, tiles);
      const steps = planSteps(
        n,
        () => n.op.fuse!(io, n.attrs, c.stages),
        source,
        (a) => (a.kind === 'stageInput' ? c.operands[a.index] : a.kind === 'stageOutput' ? c.outputs[a.index] : undefined),
      );
      for (const k of c.nodes) planNodes[k] = { ...planNodes[k], steps: k === c.nodes.at(-1) ? steps : [] };
    }
  }
  return { inferred, nodes: planNodes, root, tiles };
}

/** A node's kernel steps with their buffers resolved (`stage`: a fused chain's own arguments). */
function planSteps(
  n: InferredNode,
  build: () => Step[],
  source: string,
  stage: (a: Arg) => string | undefined = () => undefined,
): PlanStep[] {
  try {
    return build().map((s) => ({
      node: n,
      kernel: s.kernel,
      buffers: s.args.map((a) =>
        resolveArg(a, n, (x) =>
          x.kind === 'input' ? n.node.inputs[x.index] : x.kind === 'output' ? n.node.outputs[x.index] : stage(x),
        ),
      ),
    }));
  } catch (e) {
    if (isCamanimError(e)) throw e;
    throw new CamanimError(
      'bad-model',
      `Could not build the kernels: ${(e as Error).message}`,
      { file: source, node: n.node.name, op: n.node.opType },
      'This op variant may be unsupported',
      { cause: e },
    );
  }
}
