/**
 * A loaded model under its contract, as the CAM runner takes it: a channels-last input behind
 * camanim's Transpose adapter, the input fixed at the contract's size, and the graph cut to the
 * explained tensor (the scores before a final Softmax/LogSoftmax/Sigmoid, or the chosen output).
 */
import { timeMajorToBatchFirst } from '../graph/batch-first.ts';
import { adaptChannelsLast } from '../graph/channels-first.ts';
import { inferGraph } from '../graph/infer.ts';
import { withOutput } from '../graph/select-output.ts';
import { toposort } from '../graph/toposort.ts';
import type { Graph, ValueInfo } from '../graph/ir.ts';
import { modelFromGraph, type GraphModelOptions, type Model } from '../model.ts';
import { defaultRegistry } from '../ops/index.ts';
import type { InputContract } from './input-contract.ts';
import type { ModelContract } from './model-contract.ts';
import { resolveOutputContract, type OutputRequest } from './output-contract.ts';

/** The graph as the CAM runner sees its input (channels-first) and the input shape [1, C, H, W] (video: [1, C, T, H, W]). */
export function adaptInput(source: Graph, input: InputContract): { graph: Graph; shape: number[] } {
  // The contract has checked the input is 4-D with C on axis 3 (or 5-D channels-first): no guess is left to make here.
  const frames = input.frames ? [input.frames.count] : [];
  return {
    graph: input.layout === 'NHWC' ? adaptChannelsLast(source) : source,
    shape: [1, input.channels, ...frames, ...input.size],
  };
}

export async function contractModel(
  source: Graph,
  input: InputContract,
  request: OutputRequest = {},
  opts: Omit<GraphModelOptions, 'contract' | 'inputShape'> = {},
): Promise<Model> {
  const { graph: adapted, shape } = adaptInput(source, input);
  const infos = new Map<string, ValueInfo>([[adapted.inputs[0].name, { dtype: 'float32', shape }]]);
  const inferred = inferGraph(adapted, toposort(adapted), opts.registry ?? defaultRegistry, infos);
  const output = resolveOutputContract(adapted, (t) => inferred.values.get(t)?.shape, request);
  const cut =
    adapted.outputs.length === 1 && adapted.outputs[0].name === output.explained
      ? adapted
      : withOutput(adapted, output.explained);
  const graph = output.sequence?.layout === 'TNC' ? timeMajorToBatchFirst(cut) : cut;
  const contract: ModelContract = {
    input,
    output,
    ...(input.layout === 'NHWC' ? { adapter: 'channels-last → channels-first' as const } : {}),
  };
  return modelFromGraph(graph, { ...opts, inputShape: shape, contract });
}
