/**
 * An unbatched image input [C, H, W] (C = 1 or 3), as torchvision's detectors export with
 * `torch.onnx.export(model, ([image],))`, seen as batched: the graph gains a new input
 * [1, C, H, W] and a Squeeze of axis 0 that produces the original input tensor. The Squeeze is
 * an adapter, not one of the model's layers (`Graph.adapters`), like channels-first.ts's Transpose.
 */
import { fresh } from './channels-first.ts';
import { hostTensor, type Graph, type Node } from './ir.ts';

export function isUnbatchedImage(graph: Graph): boolean {
  const dims = graph.inputs.length === 1 ? graph.inputs[0].dims : [];
  return dims.length === 3 && (dims[0] === 1 || dims[0] === 3);
}

export function withBatchAxis(graph: Graph): Graph {
  const input = graph.inputs[0];
  const taken = new Set([...graph.nodes.flatMap((x) => [x.name, ...x.outputs]), ...graph.initializers.keys(), input.name]);
  const name = fresh(`${input.name}_batched`, taken);
  const axes = fresh('camanim_batch_axis', taken);
  const adapter: Node = {
    name: fresh('camanim_unbatched', taken),
    opType: 'Squeeze',
    domain: '',
    inputs: graph.opset >= 13 ? [name, axes] : [name],
    outputs: [input.name],
    attributes: new Map(graph.opset >= 13 ? [] : [['axes', [0]]]),
  };
  return {
    ...graph,
    inputs: [{ ...input, name, dims: [1, ...input.dims] }],
    nodes: [adapter, ...graph.nodes],
    initializers:
      graph.opset >= 13 ? new Map([...graph.initializers, [axes, hostTensor('int64', [1], [0])]]) : graph.initializers,
    adapters: new Set([...(graph.adapters ?? []), adapter.name]),
  };
}
