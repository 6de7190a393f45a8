/**
 * The second stage of a two-stage detector (torchvision's Faster R-CNN as torch.onnx exports it)
 * for one image's proposals: the graph with the RPN's kept proposals — the Gather of its boxes at
 * the indices its NMS kept, which the box head's MultiScaleRoIAlign reads — replaced by a
 * constant holding the proposals chosen on the host (autodiff/rpn-proposals.ts), and pruned to
 * what the graph's outputs need. The RPN's own filtering is then dead; the level mapping, the
 * per-level NonZero and Gathers and the RoiAlign regions fold on the host; the backbone, FPN,
 * RoiAlign sampling, box head and the box post-processing's inputs run on the GPU, and the
 * gradient flows from the box head through RoiAlign into the backbone (the proposals are
 * constants, as torchvision detaches them). The box post-processing is then read as one
 * detector's post-processing (prenms-head.ts). The nodes from RoiAlign on compute per-proposal
 * tensors ([P, …]): they are marked as adapters (graph/ir.ts), not layers, so no CAM reads them as maps.
 */
import { CamanimError } from '../errors.ts';
import { ancestorsOf, descendantsOf } from '../graph/ancestors.ts';
import { inferGraph } from '../graph/infer.ts';
import { allNodes, elementCount, hostTensor, type Graph, type Node } from '../graph/ir.ts';
import { postprocessCut } from '../graph/postprocess-cut.ts';
import { toposort } from '../graph/toposort.ts';
import type { OpRegistry } from '../ops/registry.ts';
import type { RpnHead } from './rpn-head.ts';

export interface ChosenProposals {
  /** x1, y1, x2, y2 per proposal, in the model input's pixels. */
  readonly boxes: ArrayLike<number>;
  readonly count: number;
}

/** The tensor the second stage reads as the RPN's kept proposals [P, 4]. */
export function keptProposals(graph: Graph, head: RpnHead): string {
  const cut = postprocessCut(graph);
  const producer = new Map<string, Node>();
  for (const n of graph.nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  const holdsNms = (n: Node) => allNodes({ ...graph, nodes: [n] }).some((m) => m.opType === 'NonMaxSuppression');
  const nms = cut.nodes.find(holdsNms);
  const keep = cut.nodes.find((n) => n.opType === 'Slice' && nms?.outputs.includes(n.inputs[0]));
  const rois = new Set(
    ancestorsOf(
      graph.nodes,
      graph.nodes.filter((n) => n.opType === 'RoiAlign').map((n) => n.inputs[1]),
    ),
  );
  const found = cut.nodes.filter(
    (n) => n.opType === 'Gather' && keep && n.inputs[1] === keep.outputs[0] && rois.has(n.outputs[0]),
  );
  if (found.length !== 1)
    throw new CamanimError(
      'bad-model',
      `A two-stage detector: the proposals its RoiAlign reads (a Gather at the indices its RPN's NMS keeps, after '${head.proposals}') cannot be found`,
      { file: graph.source, ...(keep ? { node: keep.name, op: keep.opType } : {}) },
      "camanim reads torchvision's Faster R-CNN as torch.onnx exports it; report the pattern",
    );
  return found[0].outputs[0];
}

/**
 * The graph with `proposals` as the constant value of the tensor `kept`, pruned to what its
 * outputs need. A feature level no proposal maps to gives an empty RoiAlign, and the scatter
 * merging the levels then scatters nothing: that node becomes an Identity of its data.
 */
export function secondStage(
  graph: Graph,
  kept: string,
  proposals: ChosenProposals,
  inputShape: readonly number[],
  registry: OpRegistry,
): Graph {
  const nodes = graph.nodes.filter((n) => !n.outputs.includes(kept));
  const needed = ancestorsOf(
    nodes,
    graph.outputs.map((o) => o.name),
  );
  const pruned: Graph = {
    ...graph,
    nodes: nodes.filter((n) => n.outputs.some((o) => needed.has(o))),
    initializers: new Map([
      ...graph.initializers,
      [kept, hostTensor('float32', [proposals.count, 4], Array.from(proposals.boxes).slice(0, 4 * proposals.count))],
    ]),
  };
  const fixed = postprocessCut(pruned).graph;
  const inferred = inferGraph(
    fixed,
    toposort(fixed),
    registry,
    new Map([[graph.inputs[0].name, { dtype: 'float32', shape: [...inputShape] }]]),
  );
  const empty = (t: string) => elementCount(inferred.values.get(t)?.shape ?? [1]) === 0;
  // From RoiAlign on, tensors are per proposal ([P, …]), no maps of the image: not layers.
  const perProposal = descendantsOf(
    pruned.nodes,
    pruned.nodes.filter((n) => n.opType === 'RoiAlign').flatMap((n) => n.outputs),
  );
  return {
    ...pruned,
    adapters: new Set([
      ...(pruned.adapters ?? []),
      ...pruned.nodes.filter((n) => n.outputs.some((o) => perProposal.has(o))).map((n) => n.name),
    ]),
    nodes: pruned.nodes.map((n) =>
      SCATTERS.has(n.opType) && empty(n.inputs[2])
        ? { ...n, opType: 'Identity', inputs: [n.inputs[0]], attributes: new Map() }
        : n,
    ),
  };
}

const SCATTERS = new Set(['ScatterElements', 'ScatterND', 'Scatter']);
