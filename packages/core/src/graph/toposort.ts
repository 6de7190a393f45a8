/**
 * Topological order with graph sanity checks: every input defined exactly once, no cycles.
 * ONNX requires nodes to be sorted already, but files from strangers may not be. What an If's
 * branches read from the enclosing graph counts as the If's inputs.
 */
import { CamanimError } from '../errors.ts';
import { outerNames, type Graph, type Node } from './ir.ts';

export function toposort(graph: Graph): Node[] {
  const producer = new Map<string, Node>();
  const available = new Set<string>([...graph.inputs.map((v) => v.name), ...graph.initializers.keys()]);
  for (const node of graph.nodes) {
    for (const out of node.outputs) {
      if (!out) continue;
      if (producer.has(out) || available.has(out)) {
        throw new CamanimError(
          'bad-model',
          `Tensor '${out}' is produced more than once`,
          { file: graph.source, node: node.name, tensor: out },
          'The graph is not valid SSA; re-export the model',
        );
      }
      producer.set(out, node);
    }
  }
  const deps = new Map(graph.nodes.map((n) => [n, [...n.inputs, ...outerNames(n)]]));
  for (const node of graph.nodes) {
    for (const inp of deps.get(node)!) {
      if (inp && !producer.has(inp) && !available.has(inp)) {
        throw new CamanimError(
          'bad-model',
          `Input '${inp}' of node is never defined`,
          { file: graph.source, node: node.name, op: node.opType, tensor: inp },
          'The model file is corrupt or incomplete',
        );
      }
    }
  }
  const order: Node[] = [];
  const state = new Map<Node, 1 | 2>();
  // Iterative DFS so that a deep chain cannot overflow the JS stack.
  for (const root of graph.nodes) {
    if (state.has(root)) continue;
    const stack: [Node, number][] = [[root, 0]];
    state.set(root, 1);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [node, k] = top;
      const inputs = deps.get(node)!;
      if (k < inputs.length) {
        top[1]++;
        const dep = producer.get(inputs[k]);
        if (!dep) continue;
        const s = state.get(dep);
        if (s === 1)
          throw new CamanimError(
            'bad-model',
            'The graph has a cycle',
            { file: graph.source, node: dep.name, op: dep.opType },
            'The model file is corrupt',
          );
        if (s === undefined) {
          state.set(dep, 1);
          stack.push([dep, 0]);
        }
      } else {
        state.set(node, 2);
        order.push(node);
        stack.pop();
      }
    }
  }
  return order;
}
