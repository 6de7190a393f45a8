/**
 * Splices a subgraph (the taken branch of an If: ops/if.ts) into the enclosing graph in place of
 * its node. The branch's own values get fresh names under the node's name (`If_3/x`), those it
 * returns take the node's output names, and the names it reads from enclosing scopes resolve as
 * they are (ONNX names are unique across scopes).
 */
import { CamanimError } from '../errors.ts';
import { subgraphs, type AttrValue, type Graph, type HostTensor, type Node } from './ir.ts';

export interface Inlined {
  /** The branch's nodes renamed, in its order, then an Identity per output it does not compute. */
  readonly nodes: readonly Node[];
  readonly initializers: ReadonlyMap<string, HostTensor>;
}

/** Names in use, of values and of nodes; the fresh names are added to them. */
export interface Taken {
  readonly values: Set<string>;
  readonly nodes: Set<string>;
}

export function inlineBranch(node: Node, branch: Graph, taken: Taken): Inlined {
  if (branch.outputs.length !== node.outputs.length) {
    throw new CamanimError(
      'bad-model',
      `The branch taken returns ${branch.outputs.length} output(s), but the node has ${node.outputs.length}`,
      { node: node.name, op: node.opType },
      'The model file is corrupt',
    );
  }
  const fresh = (name: string, used = taken.values) => {
    let unique = `${node.name}/${name}`;
    for (let k = 1; used.has(unique); k++) unique = `${node.name}/${name}#${k}`;
    used.add(unique);
    return unique;
  };
  const rename = new Map<string, string>();
  const computed = new Set(branch.nodes.flatMap((n) => n.outputs));
  branch.outputs.forEach((v, k) => {
    if (computed.has(v.name) && node.outputs[k] && !rename.has(v.name)) rename.set(v.name, node.outputs[k]);
  });
  for (const name of [...branch.initializers.keys(), ...computed]) if (name && !rename.has(name)) rename.set(name, fresh(name));
  const to = (name: string) => rename.get(name) ?? name;
  const nodes = branch.nodes.map((n) => ({
    ...renameReads(n, to),
    name: fresh(n.name, taken.nodes),
    outputs: n.outputs.map((o) => (o ? to(o) : o)),
  }));
  // Outputs the branch passes through (an enclosing value, its own initializer, one returned twice).
  branch.outputs.forEach((v, k) => {
    if (node.outputs[k] && to(v.name) !== node.outputs[k]) {
      nodes.push({
        name: fresh(`output_${k}`, taken.nodes),
        opType: 'Identity',
        domain: '',
        inputs: [to(v.name)],
        outputs: [node.outputs[k]],
        attributes: new Map(),
      });
    }
  });
  return { nodes, initializers: new Map([...branch.initializers].map(([name, t]) => [to(name), t])) };
}

/** The node reading renamed values, its own subgraphs (nested Ifs) too. */
function renameReads(n: Node, to: (name: string) => string): Node {
  const inputs = n.inputs.map((x) => (x ? to(x) : x));
  if (subgraphs(n).length === 0) return { ...n, inputs };
  const attributes = new Map<string, AttrValue>(
    [...n.attributes].map(([k, v]) => [k, typeof v === 'object' && 'nodes' in v ? renameGraphReads(v, to) : v]),
  );
  return { ...n, inputs, attributes };
}

function renameGraphReads(g: Graph, to: (name: string) => string): Graph {
  return { ...g, nodes: g.nodes.map((n) => renameReads(n, to)), outputs: g.outputs.map((v) => ({ ...v, name: to(v.name) })) };
}
