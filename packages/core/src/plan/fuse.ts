/**
 * Forward fusion: a node whose op can fuse (OpDef.fuse: Conv) followed by a chain of Relu and
 * same-shape Add nodes runs as one kernel that stores every tensor of the chain (ResNet's
 * Conv → Relu and Conv → Add → Relu), so the activations CAMs read and the backward pass
 * needs are all still written. The fused kernel takes the place of the chain's last node, where
 * every operand exists; each tensor inside the chain must have that chain's next node as its
 * only reader, so nothing reads it before the fused kernel has run. The backward plan is built
 * from the nodes, not these steps, and is unchanged.
 */
import type { FusedStage } from '@camanim/shaders';
import type { Inferred, InferredNode } from '../graph/infer.ts';

export interface FusedChain {
  /** Positions in the planned node list: the fusing node first, the one the fused kernel replaces last. */
  readonly nodes: readonly number[];
  readonly stages: readonly FusedStage[];
  /** Each 'add' stage's other operand. */
  readonly operands: readonly string[];
  /** Each stage's output. */
  readonly outputs: readonly string[];
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, k) => d === b[k]);

/** The chains among `nodes` (in plan order) that fuse into their first node's kernel. */
export function fusedChains(inferred: Inferred, nodes: readonly InferredNode[]): FusedChain[] {
  const readers = new Map<string, number[]>();
  nodes.forEach((n, k) => {
    for (const x of new Set(n.node.inputs)) if (x) readers.set(x, [...(readers.get(x) ?? []), k]);
  });
  const info = (name: string) => inferred.values.get(name);
  const chains: FusedChain[] = [];
  // A node joins one chain at most: of two convolutions summed by one Add, the first takes it.
  const claimed = new Set<number>();
  nodes.forEach((n, first) => {
    if (!n.op.fuse || n.node.outputs.length !== 1 || !n.node.outputs[0]) return;
    const shape = info(n.node.outputs[0])?.shape;
    if (!shape) return;
    const chain = { nodes: [first], stages: [] as FusedStage[], operands: [] as string[], outputs: [] as string[] };
    let cur = n.node.outputs[0];
    for (;;) {
      const next = readers.get(cur);
      if (next?.length !== 1 || claimed.has(next[0])) break;
      const { node } = nodes[next[0]];
      const out = node.outputs[0];
      if (node.outputs.length !== 1 || !out || info(out)?.dtype !== 'float32' || !sameShape(info(out)!.shape, shape)) break;
      if (node.opType === 'Relu' && node.inputs.length === 1) chain.stages.push({ op: 'relu' });
      else if (node.opType === 'Add' && node.inputs.length === 2 && node.inputs[0] !== node.inputs[1]) {
        const other = node.inputs[0] === cur ? node.inputs[1] : node.inputs[0];
        const o = info(other);
        if (o?.dtype !== 'float32' || !sameShape(o.shape, shape) || inferred.consts.has(other)) break;
        chain.stages.push({ op: 'add' });
        chain.operands.push(other);
      } else break;
      chain.nodes.push(next[0]);
      chain.outputs.push(out);
      cur = out;
    }
    if (!chain.stages.length) return;
    chains.push(chain);
    for (const k of chain.nodes) claimed.add(k);
  });
  return chains;
}
