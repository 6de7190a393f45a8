/**
 * The first stage of a two-stage detector as torch.onnx exports torchvision's Faster R-CNN: the
 * region proposal network's outputs, before its data-dependent proposal filtering. The RPN's
 * filter_proposals takes, per feature level, the top k anchors by objectness (a TopK of a Slice of
 * the objectness [1, A]), gathers their decoded boxes (a Gather, through a Flatten, of the
 * proposals [1, A, 4]) at those indices, then clips, drops small boxes, thresholds the sigmoid
 * scores (NonZero), runs NMS per level (an If holding NonMaxSuppression) and keeps the first n.
 * Gathers at indices computed on the GPU cannot plan, so the graph is cut at the objectness and
 * proposals (`graph`, outputs in that order), and everything filter_proposals does is read from
 * its nodes, never assumed (`RpnSettings`): each level's anchors and k (its Slice and its TopK's
 * k, folded), the clip bounds (the Min constants after the gathers: width, then height), the
 * minimum box side (the GreaterOrEqual constants of the And before the first NonZero), the
 * score threshold (the GreaterOrEqual before the next), the NMS IoU (in the first If holding
 * NonMaxSuppression) and the proposals kept (a Slice from 0 of that If's result). A setting
 * not found is refused, naming it. The host then chooses the proposals (autodiff/rpn-proposals.ts).
 */
import { CamanimError } from '../errors.ts';
import { ancestorsOf, descendantsOf } from '../graph/ancestors.ts';
import { inferGraph, type Inferred } from '../graph/infer.ts';
import { allNodes, type Graph, type Node } from '../graph/ir.ts';
import { postprocessCut } from '../graph/postprocess-cut.ts';
import { toposort } from '../graph/toposort.ts';
import { checkSupported, type OpRegistry } from '../ops/registry.ts';
import { constantValue, describeRegion, minSideOf, readMaxDetections } from './prenms-head.ts';

export interface RpnSettings {
  /** Anchors per feature level, in the objectness' order. */
  readonly levels: readonly number[];
  /** The top k of each level by objectness (torchvision: min(pre_nms_top_n, its anchors)). */
  readonly topK: readonly number[];
  /** Boxes are clipped to [0, width] × [0, height]. */
  readonly width: number;
  readonly height: number;
  /** A box is kept when both sides are at least this (remove_small_boxes). */
  readonly minSize: number;
  /** A proposal is kept when its sigmoid objectness is at least this. */
  readonly scoreThreshold: number;
  /** NMS within a level suppresses a box overlapping a better one by more than this. */
  readonly iou: number;
  /** Proposals kept after NMS (post_nms_top_n). */
  readonly keep: number;
}

export interface RpnHead {
  /** The graph cut at the RPN's outputs: [objectness [1, A], proposals [1, A, 4]]. */
  readonly graph: Graph;
  readonly objectness: string;
  readonly proposals: string;
  readonly settings: RpnSettings;
}

/** Whether the graph is a two-stage detector: a RoiAlign downstream of its data-dependent post-processing. */
export function isTwoStage(graph: Graph): boolean {
  return allNodes(graph).some((n) => n.opType === 'RoiAlign');
}

export function rpnHead(graph: Graph, inputShape: readonly number[], registry: OpRegistry): RpnHead {
  const where = { file: graph.source };
  const cut = postprocessCut(graph);
  const region = new Set(cut.nodes);
  const refuse = (what: string, node?: Node) =>
    new CamanimError(
      'bad-model',
      `A two-stage detector (a RoiAlign after its proposals' post-processing, ${describeRegion(cut)}): its RPN's ${what} cannot be read from its nodes`,
      node ? { ...where, node: node.name, op: node.opType } : where,
      "camanim reads torchvision's Faster R-CNN as torch.onnx exports it (per-level TopK of the objectness, Gathers of the proposals, NonZero thresholds, NonMaxSuppression in an If); report the pattern",
    );
  const producer = new Map<string, Node>();
  for (const n of graph.nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  // The RPN's per-level TopKs: before the post-processing, each of a Slice of one tensor.
  const topks = graph.nodes.filter((n) => n.opType === 'TopK' && !region.has(n) && producer.get(n.inputs[0])?.opType === 'Slice');
  const objectness = [...new Set(topks.map((n) => producer.get(n.inputs[0])!.inputs[0]))];
  if (objectness.length !== 1) throw refuse('objectness (the tensor its per-level TopKs slice)', topks[0]);
  // Inferred up to the TopKs' gathers (which cannot plan): the constants read below all fold before them.
  const fromTopK = descendantsOf(
    graph.nodes,
    topks.map((n) => n.outputs[1]),
  );
  const stage = { ...cut.graph, nodes: cut.graph.nodes.filter((n) => !n.inputs.some((t) => fromTopK.has(t))) };
  const inferred = inferGraph(
    stage,
    toposort(stage),
    registry,
    new Map([[graph.inputs[0].name, { dtype: 'float32', shape: [...inputShape] }]]),
  );
  const shape = (t: string) => inferred.values.get(t)?.shape ?? [];
  const A = shape(objectness[0]).at(-1)!;
  // The proposals: the [1, A, 4] tensor gathered (through a Flatten) at indices the TopKs' derive.
  const proposals = [
    ...new Set(
      graph.nodes
        .filter((n) => n.opType === 'Gather' && fromTopK.has(n.inputs[1]))
        .map((n) => (producer.get(n.inputs[0])?.opType === 'Flatten' ? producer.get(n.inputs[0])!.inputs[0] : n.inputs[0]))
        .filter((t) => {
          const s = shape(t);
          return s.at(-1) === 4 && s.at(-2) === A && s.length <= 3;
        }),
    ),
  ];
  if (proposals.length !== 1) throw refuse(`decoded proposals (a [1, ${A}, 4] tensor gathered at its top-k indices)`);
  const settings = readSettings(graph, inferred, cut.nodes, topks, fromTopK, refuse, shape);
  const outputs = [objectness[0], proposals[0]];
  const needed = ancestorsOf(stage.nodes, outputs);
  const out: Graph = {
    ...stage,
    nodes: stage.nodes.filter((n) => n.outputs.some((o) => needed.has(o))),
    outputs: outputs.map((name) => ({ name, dtype: 'float32' as const, dims: [] })),
  };
  checkSupported(out, registry);
  return { graph: out, objectness: objectness[0], proposals: proposals[0], settings };
}

function readSettings(
  graph: Graph,
  inferred: Inferred,
  region: readonly Node[],
  topks: readonly Node[],
  fromTopK: ReadonlySet<string>,
  refuse: (what: string, node?: Node) => Error,
  shape: (t: string) => readonly number[],
): RpnSettings {
  const scalar = (t: string | undefined) => {
    const v = t ? constantValue(graph, inferred, t) : undefined;
    return v && v.data.length === 1 ? Number(v.data[0]) : undefined;
  };
  const levels = topks.map((n) => shape(n.inputs[0]).at(-1)!);
  const topK = topks.map((n) => {
    const k = scalar(n.inputs[1]);
    if (k === undefined) throw refuse('top k per level (a TopK with a k that folds)', n);
    return k;
  });
  // Clip bounds: the Min of a gathered coordinate and a constant (width first, then height).
  const bounds = graph.nodes
    .filter((n) => n.opType === 'Min' && n.inputs.length === 2 && fromTopK.has(n.inputs[0]))
    .map((n) => scalar(n.inputs[1]));
  if (bounds.length < 2 || bounds[0] === undefined || bounds[1] === undefined)
    throw refuse('clip bounds (Min of the gathered boxes and the image width, height)');
  const producer = new Map<string, Node>();
  for (const n of graph.nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  const holdsNms = (n: Node) =>
    n.opType === 'NonMaxSuppression' ||
    (n.opType === 'If' && allNodes({ ...graph, nodes: [n] }).some((m) => m.opType === 'NonMaxSuppression'));
  const nmsAt = region.findIndex(holdsNms);
  if (nmsAt < 0) throw refuse('NMS (NonMaxSuppression)');
  const before = region.slice(0, nmsAt).filter((n) => n.opType === 'NonZero');
  const thresholdOf = (n: Node | undefined) => (n?.opType === 'GreaterOrEqual' ? scalar(n.inputs[1]) : undefined);
  const minSize = minSideOf(producer.get(before[0]?.inputs[0]), producer, scalar);
  if (minSize === undefined)
    throw refuse('minimum box size (an And of two GreaterOrEqual with one constant before a NonZero)', before[0]);
  const scoreThreshold = thresholdOf(producer.get(before[1]?.inputs[0]));
  if (scoreThreshold === undefined)
    throw refuse('score threshold (a GreaterOrEqual with a constant before a NonZero)', before[1]);
  const nms = allNodes({ ...graph, nodes: [region[nmsAt]] }).find((m) => m.opType === 'NonMaxSuppression')!;
  const iou = nms.inputs[3] ? scalar(nms.inputs[3]) : 0;
  if (iou === undefined) throw refuse('NMS IoU threshold (NonMaxSuppression with a constant iou_threshold)', nms);
  const keep = readMaxDetections(graph, inferred, region.slice(nmsAt));
  if (keep === undefined) throw refuse("proposals kept (a Slice from 0 of the NMS' result)", region[nmsAt]);
  return { levels, topK, width: bounds[0], height: bounds[1], minSize, scoreThreshold, iou, keep };
}
