/**
 * A channels-last image model (its one input [N, H, W, C] with C = 1 or 3, as tf2onnx and
 * Keras exports have) seen as channels-first, so that everything downstream (preprocessing,
 * CAM upsampling, ROAD's imputation, test-time augmentation) handles one layout: the graph
 * gains a new input [N, C, H, W] and a Transpose (perm 0, 2, 3, 1) that produces the original
 * input tensor. The Transpose is an adapter, not one of the model's layers (`Graph.adapters`).
 */
import { CamanimError } from '../errors.ts';
import type { Graph, Node } from './ir.ts';

export function isChannelsLast(graph: Graph): boolean {
  const dims = graph.inputs.length === 1 ? graph.inputs[0].dims : [];
  const channels = (k: number) => dims[k] === 1 || dims[k] === 3;
  return dims.length === 4 && channels(3) && !channels(1);
}

export function channelsFirst(graph: Graph): Graph {
  if (!isChannelsLast(graph)) {
    const list = graph.inputs.map((i) => `${i.name} [${i.dims.join(', ')}]`).join('; ');
    throw new CamanimError(
      'bad-model',
      `channelsFirst needs one [N, H, W, 1 or 3] input, the model has ${list}`,
      { file: graph.source },
      'Call it only when isChannelsLast(graph) is true',
    );
  }
  return adaptChannelsLast(graph);
}

/**
 * The adapter without the guess: for an input the caller knows is [N, H, W, C] (the contract's
 * layout, stated by a flag even where axis 1 is 1 or 3 too). The one input must be 4-D.
 */
export function adaptChannelsLast(graph: Graph): Graph {
  const input = graph.inputs[0];
  const [n, h, w, c] = input.dims;
  const taken = new Set([...graph.nodes.flatMap((x) => [x.name, ...x.outputs]), ...graph.initializers.keys(), input.name]);
  const name = fresh(`${input.name}_nchw`, taken);
  const adapter: Node = {
    name: fresh('camanim_channels_last', taken),
    opType: 'Transpose',
    domain: '',
    inputs: [name],
    outputs: [input.name],
    attributes: new Map([['perm', [0, 2, 3, 1]]]),
  };
  return {
    ...graph,
    inputs: [{ ...input, name, dims: [n, c, h, w] }],
    nodes: [adapter, ...graph.nodes],
    adapters: new Set([...(graph.adapters ?? []), adapter.name]),
  };
}

/** `base`, or `base_2`, `base_3`, … : the first not in `taken`. */
export function fresh(base: string, taken: ReadonlySet<string>): string {
  let name = base;
  for (let k = 2; taken.has(name); k++) name = `${base}_${k}`;
  return name;
}
