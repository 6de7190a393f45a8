/**
 * Static shape inference and constant folding for one concrete input shape. Torch exports
 * build shapes at run time (Shape → Gather → Unsqueeze → Concat → Reshape); with the input
 * shape fixed these chains fold to constants here, so the GPU sees only float work.
 */
import { CamanimError, isCamanimError } from '../errors.ts';
import type { OpDef } from '../ops/op.ts';
import type { OpRegistry } from '../ops/registry.ts';
import { inlineBranch, type Taken } from './inline.ts';
import { toposort } from './toposort.ts';
import { allNodes, branches, elementCount, isFloat, type Graph, type HostTensor, type Node, type ValueInfo } from './ir.ts';

export interface InferredNode {
  readonly node: Node;
  readonly op: OpDef;
  readonly attrs: unknown;
}

export interface Inferred {
  readonly values: ReadonlyMap<string, ValueInfo>;
  /** Tensors known at plan time: initializers and folded results. */
  readonly consts: ReadonlyMap<string, HostTensor>;
  /** Nodes left to run on the GPU, in topological order. */
  readonly nodes: readonly InferredNode[];
}

/**
 * Folds run on the host, in float64 for integer tensors. One that makes far more values than
 * it is given (ConstantOfShape, Range, Expand, Pad of constants) could take gigabytes from a
 * few bytes of file, so it is refused past this many elements.
 */
export const MAX_FOLD_GROWTH = 2 ** 24;

function checkFoldSize(
  io: { node: Node; consts: readonly (HostTensor | undefined)[] },
  outs: readonly ValueInfo[],
  where: { file: string; node: string; op: string },
): void {
  // A fold happens only when every input is known before the run.
  if (io.node.inputs.some((n, k) => n && !io.consts[k])) return;
  const made = outs.reduce((a, o) => a + elementCount(o.shape), 0);
  const tensors = [
    ...io.consts,
    ...[...io.node.attributes.values()].filter((v): v is HostTensor => typeof v === 'object' && !Array.isArray(v) && 'data' in v),
  ];
  const given = tensors.reduce((a, c) => a + (c?.data.length ?? 0), 0);
  if (made > Math.max(MAX_FOLD_GROWTH, given)) {
    throw new CamanimError(
      'resource-limit',
      `This node would build a constant of ${made} values from ${given} on the host, more than camanim allows (${MAX_FOLD_GROWTH})`,
      where,
      'The model asks for an unreasonably large constant; it may be corrupt or malicious',
    );
  }
}

export function inferGraph(
  graph: Graph,
  order: readonly Node[],
  registry: OpRegistry,
  inputs: ReadonlyMap<string, ValueInfo>,
): Inferred {
  const values = new Map<string, ValueInfo>(inputs);
  const consts = new Map<string, HostTensor>();
  for (const [name, t] of graph.initializers) {
    if (!inputs.has(name)) {
      consts.set(name, t);
      values.set(name, { dtype: t.dtype, shape: t.shape });
    }
  }
  const nodes: InferredNode[] = [];
  // The taken branches of Ifs join the queue after their node (graph/inline.ts).
  const queue = [...order];
  let taken: Taken | undefined;
  for (let q = 0; q < queue.length; q++) {
    const node = queue[q];
    const op = registry.get(node.opType)!;
    const where = { file: graph.source, node: node.name, op: node.opType };
    try {
      const attrs = op.attrs(node, graph.opset);
      const io = {
        node,
        opset: graph.opset,
        inputs: node.inputs.map((n) => (n ? values.get(n) : undefined)),
        consts: node.inputs.map((n) => (n ? consts.get(n) : undefined)),
      };
      for (const k of op.constInputs ?? []) {
        if (node.inputs[k] && !io.consts[k]) {
          // An integer computed from the image is an index output (ArgMax, ArgMin, TopK: OpDef.indexOutputs).
          const index = io.inputs[k] && !isFloat(io.inputs[k]!.dtype) && io.inputs[k]!.dtype !== 'bool';
          const hint = index
            ? `'${node.inputs[k]}' holds indices computed from the image (ArgMax, ArgMin, TopK); ${node.opType} needs them before the run. Explain an output before this node, or run the model with onnxruntime`
            : 'camanim supports static shapes only; re-export with constant shape inputs';
          throw new CamanimError(
            'bad-model',
            `Input ${k} ('${node.inputs[k]}') must be known before the run, but it is computed from the image`,
            where,
            hint,
          );
        }
      }
      const branch = op.inline?.(io, attrs);
      if (branch) {
        taken ??= namesInUse(graph);
        const inlined = inlineBranch(node, branch, taken);
        for (const [name, t] of inlined.initializers) {
          consts.set(name, t);
          values.set(name, { dtype: t.dtype, shape: t.shape });
        }
        // In dependency order, as the graph's own nodes (files from strangers may not sort branches).
        const known = [...values.keys()].map((name) => ({ name, dtype: 'unknown' as const, dims: [] }));
        queue.splice(q + 1, 0, ...toposort({ ...graph, nodes: inlined.nodes, inputs: known, initializers: new Map() }));
        continue;
      }
      const outs = op.shape(io, attrs);
      // A named output the op does not produce would be "defined" for toposort but have no shape.
      const extra = node.outputs.findIndex((o, k) => o && k >= outs.length);
      if (extra >= 0) {
        throw new CamanimError(
          'bad-model',
          `${node.opType} produces ${outs.length} output(s) here, but the node names output ${extra} ('${node.outputs[extra]}')`,
          { ...where, tensor: node.outputs[extra] },
          'The model file is corrupt, or uses a variant of this op that camanim does not support',
        );
      }
      outs.forEach((info, k) => {
        if (info.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
          throw new CamanimError(
            'bad-shape',
            `Output '${node.outputs[k]}' would have shape [${info.shape.join(', ')}]`,
            where,
            'The input shape does not fit this model',
          );
        }
        if (node.outputs[k]) values.set(node.outputs[k], info);
      });
      if (op.fold) checkFoldSize(io, outs, where);
      const folded = op.fold?.(io, attrs, outs);
      if (folded) {
        folded.forEach((t, k) => node.outputs[k] && consts.set(node.outputs[k], t));
      } else {
        nodes.push({ node, op, attrs });
      }
    } catch (e) {
      if (isCamanimError(e)) {
        if (!e.where.node || !e.where.file)
          throw new CamanimError(e.code, e.what, { ...where, ...e.where }, e.hint, { cause: e });
        throw e;
      }
      // A TypeError here almost always means an input the op needs is absent: name them.
      const empty = node.inputs.flatMap((n, k) => (n ? [] : [k]));
      const what =
        e instanceof TypeError
          ? `The node's inputs do not fit ${node.opType}: it has ${node.inputs.length} input(s) [${node.inputs.map((n) => `'${n}'`).join(', ')}]${empty.length ? `, input(s) ${empty.join(', ')} empty` : ''}`
          : `Shape inference failed: ${(e as Error).message}`;
      throw new CamanimError(
        'bad-model',
        what,
        where,
        `Check the ${node.opType} spec for its required inputs; the model may be corrupt or exported incorrectly`,
        { cause: e },
      );
    }
  }
  return { values, consts, nodes };
}

function namesInUse(graph: Graph): Taken {
  const all = allNodes(graph);
  const values = [graph, ...branches(graph)].flatMap((g) => [...g.inputs.map((v) => v.name), ...g.initializers.keys()]);
  return { values: new Set([...values, ...all.flatMap((n) => n.outputs)]), nodes: new Set(all.map((n) => n.name)) };
}
