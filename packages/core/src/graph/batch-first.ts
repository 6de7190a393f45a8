/**
 * A time-major [T, N, C] output (CRNN in PyTorch, CTC's own layout) made batch-first for the
 * targets, which read one item's scores as a contiguous row: camanim's Transpose(1, 0, 2)
 * after it, marked as an adapter (not a layer), becomes the graph's only output.
 */
import { fresh } from './channels-first.ts';
import type { Graph, Node } from './ir.ts';

export function timeMajorToBatchFirst(graph: Graph): Graph {
  const out = graph.outputs[0];
  const taken = new Set([
    ...graph.nodes.flatMap((x) => [x.name, ...x.outputs]),
    ...graph.initializers.keys(),
    ...graph.inputs.map((i) => i.name),
  ]);
  const name = fresh(`${out.name}_ntc`, taken);
  const adapter: Node = {
    name: fresh('camanim_time_major', taken),
    opType: 'Transpose',
    domain: '',
    inputs: [out.name],
    outputs: [name],
    attributes: new Map([['perm', [1, 0, 2]]]),
  };
  const [t, n, c] = out.dims;
  return {
    ...graph,
    nodes: [...graph.nodes, adapter],
    outputs: [{ ...out, name, dims: out.dims.length === 3 ? [n, t, c] : [] }],
    adapters: new Set([...(graph.adapters ?? []), adapter.name]),
  };
}
