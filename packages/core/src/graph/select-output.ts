/**
 * The graph cut down to one output: only the nodes that tensor depends on stay. Used to explain
 * the pre-activation scores of a model that ends in Softmax/LogSoftmax/Sigmoid, and to pick one
 * of several outputs.
 */
import { CamanimError } from '../errors.ts';
import { outerNames, type Graph, type Node } from './ir.ts';

export function withOutput(graph: Graph, name: string): Graph {
  const producer = new Map<string, Node>();
  for (const n of graph.nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  if (!producer.has(name) && !graph.inputs.some((i) => i.name === name)) {
    throw new CamanimError(
      'not-found',
      `Tensor '${name}' is not computed by the graph`,
      { file: graph.source, tensor: name },
      'Name a node output (camanim layers lists them)',
    );
  }
  const keep = new Set<Node>();
  const stack = [name];
  while (stack.length) {
    const n = producer.get(stack.pop()!);
    if (!n || keep.has(n)) continue;
    keep.add(n);
    // What an If's branches read is as much its input as `inputs`.
    stack.push(...n.inputs.filter(Boolean), ...outerNames(n));
  }
  const declared = graph.outputs.find((o) => o.name === name);
  return { ...graph, nodes: graph.nodes.filter((n) => keep.has(n)), outputs: [declared ?? { name, dtype: 'float32', dims: [] }] };
}
