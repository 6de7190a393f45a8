/**
 * A loaded model under its contract, as the CAM runner takes it: a channels-last input behind
 * camanim's Transpose adapter, the input fixed at the contract's size, and the graph cut to the
 * explained tensor (the scores before a final Softmax/LogSoftmax/Sigmoid, or the chosen output).
 * An unbatched [C, H, W] input gets a batch axis (graph/batch-axis.ts); a detector whose graph
 * carries its post-processing is explained at the boxes and scores it reads (prenms-head.ts).
 */
import { isUnbatchedImage, withBatchAxis } from '../graph/batch-axis.ts';
import { timeMajorToBatchFirst } from '../graph/batch-first.ts';
import { adaptChannelsLast } from '../graph/channels-first.ts';
import { inferGraph } from '../graph/infer.ts';
import { DATA_DEPENDENT, hasPostprocess } from '../graph/postprocess-cut.ts';
import { withOutput } from '../graph/select-output.ts';
import { toposort } from '../graph/toposort.ts';
import { CamanimError } from '../errors.ts';
import { allNodes, type Graph, type ValueInfo } from '../graph/ir.ts';
import { modelFromGraph, type GraphModelOptions, type Model } from '../model.ts';
import { defaultRegistry } from '../ops/index.ts';
import type { InputContract } from './input-contract.ts';
import type { ModelContract } from './model-contract.ts';
import { resolveOutputContract, type OutputRequest } from './output-contract.ts';
import { preNmsHead } from './prenms-head.ts';
import { isTwoStage } from './rpn-head.ts';

/** The graph as the CAM runner sees its input (channels-first) and the input shape [1, C, H, W] (video: [1, C, T, H, W]). */
export function adaptInput(source: Graph, input: InputContract): { graph: Graph; shape: number[] } {
  // The contract has checked the input is 4-D with C on axis 3 (or 5-D channels-first, or
  // [C, H, W] with C first): no guess is left to make here.
  const frames = input.frames ? [input.frames.count] : [];
  const batched = isUnbatchedImage(source) ? withBatchAxis(source) : source;
  return {
    graph: input.layout === 'NHWC' ? adaptChannelsLast(batched) : batched,
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
  const adapter = input.layout === 'NHWC' ? { adapter: 'channels-last → channels-first' as const } : {};
  if (hasPostprocess(adapted)) {
    // A detector's own post-processing after its head (data-dependent shapes): explained at its inputs.
    const registry = opts.registry ?? defaultRegistry;
    if (request.task !== 'detect' || request.detectFormat !== undefined) throw postprocessRefusal(adapted, request);
    if (isTwoStage(adapted)) throw twoStageRefusal(adapted);
    const head = preNmsHead(adapted, shape, registry, request);
    return modelFromGraph(head.graph, { ...opts, inputShape: shape, contract: { input, output: head.output, ...adapter } });
  }
  const infos = new Map<string, ValueInfo>([[adapted.inputs[0].name, { dtype: 'float32', shape }]]);
  const inferred = inferGraph(adapted, toposort(adapted), opts.registry ?? defaultRegistry, infos);
  const output = resolveOutputContract(adapted, (t) => inferred.values.get(t)?.shape, request);
  const cut =
    adapted.outputs.length === 1 && adapted.outputs[0].name === output.explained
      ? adapted
      : withOutput(adapted, output.explained);
  const graph = output.sequence?.layout === 'TNC' ? timeMajorToBatchFirst(cut) : cut;
  const contract: ModelContract = { input, output, ...adapter };
  return modelFromGraph(graph, { ...opts, inputShape: shape, contract });
}

/** A two-stage detector's second stage depends on the image's proposals: one model per image (two-stage.ts). */
function twoStageRefusal(graph: Graph): CamanimError {
  const node = allNodes(graph).find((n) => n.opType === 'RoiAlign')!;
  return new CamanimError(
    'bad-model',
    "A two-stage detector (a RoiAlign on its RPN's proposals, as Faster R-CNN): its second stage depends on each image's proposals, so it is no single model",
    { file: graph.source, node: node.name, op: node.opType },
    "Load it with core's twoStageDetector (its proposals per image, then the second stage on them)",
  );
}

export function postprocessRefusal(graph: Graph, request: OutputRequest): CamanimError {
  const node = allNodes(graph).find((n) => DATA_DEPENDENT.has(n.opType))!;
  const shapes = 'whose shapes depend on the data (score thresholds, NMS)';
  return request.task === 'detect'
    ? new CamanimError(
        'bad-model',
        `--detect-format ${request.detectFormat} explains a pre-NMS head output, but this graph continues past its head into a detector's post-processing, ${shapes}`,
        { file: graph.source, node: node.name, op: node.opType },
        'Drop --detect-format: camanim reads the boxes and scores the post-processing takes (or name them with --detect-boxes/--detect-scores)',
      )
    : new CamanimError(
        'bad-model',
        `The graph continues past its head into a detector's post-processing, ${shapes}: it is a detector, not a ${request.task ?? 'classify'} model`,
        { file: graph.source, node: node.name, op: node.opType },
        'Explain a detection with --task detect (--box i picks which)',
      );
}
