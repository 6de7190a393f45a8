/**
 * --task detect on a graph that carries its own post-processing (torchvision's detectors as
 * torch.onnx exports them: score thresholds → NonZero, TopK, NonMaxSuppression in an If, the
 * Gathers at the kept indices). The post-processing is cut off (graph/postprocess-cut.ts) and
 * never loads on the GPU; what it reads is explained: the decoded boxes [A, 4] and the class
 * scores [A, K] (with a batch axis of 1 or not), found in the graph and never guessed:
 *
 * - boxes: the one float tensor [A, 4] (or [1, A, 4]) the post-processing reads;
 * - scores: the one Softmax or Sigmoid output [1, A, K] (or [A, K]) with the boxes' A that the
 *   post-processing depends on;
 * - its settings, from its nodes: the classes it thresholds (Gathers of one class's scores), the
 *   threshold (their Greater's constant), the per-class top k (the constants bounding TopK's k),
 *   the NMS IoU (NonMaxSuppression's iou_threshold, in an If's branch or not) and the detections
 *   kept (a Slice from 0 of NMS's result).
 *
 * `--detect-boxes`/`--detect-scores` name the tensors where the pattern is not found; a setting
 * that is not found is refused. The explained tensor is camanim's Concat of the two ([1, A, 4+K],
 * the boxes-scores layout, adapters not layers): the box-score target's gradient flows from the
 * scores, the boxes' is 0.
 */
import { CamanimError } from '../errors.ts';
import { fresh } from '../graph/channels-first.ts';
import { inferGraph, type Inferred } from '../graph/infer.ts';
import { allNodes, hostTensor, isFloat, type Graph, type HostTensor, type Node } from '../graph/ir.ts';
import { postprocessCut, type PostprocessCut } from '../graph/postprocess-cut.ts';
import { withOutput } from '../graph/select-output.ts';
import { toposort } from '../graph/toposort.ts';
import { constant } from '../ops/constant.ts';
import { checkSupported, type OpRegistry } from '../ops/registry.ts';
import type { OutputContract, OutputRequest } from './output-contract.ts';
import type { Postprocess } from './task-layout.ts';

const BOXES_HINT =
  'Name them with --detect-boxes TENSOR (the decoded x1, y1, x2, y2 boxes [A, 4]) and --detect-scores TENSOR (the class scores [1, A, K]) (library: output.detectBoxes/detectScores); `camanim layers --all` lists the tensors';

export function preNmsHead(
  graph: Graph,
  inputShape: readonly number[],
  registry: OpRegistry,
  request: OutputRequest,
): { graph: Graph; output: OutputContract } {
  const cut = postprocessCut(graph);
  checkSupported(cut.graph, registry);
  const inferred = inferGraph(
    cut.graph,
    toposort(cut.graph),
    registry,
    new Map([[graph.inputs[0].name, { dtype: 'float32', shape: [...inputShape] }]]),
  );
  const where = { file: graph.source };
  const boxes = findBoxes(cut, inferred, request.detectBoxes, where);
  const A = boxes.shape[boxes.shape.length - 2];
  // torchvision's two-stage box head: a row per (proposal, class), its score and constant label.
  const rows = request.detectScores === undefined ? labelledRows(cut, inferred, A) : undefined;
  const scores = rows?.scores ?? findScores(cut, inferred, A, request.detectScores, where);
  const K = rows ? 1 : scores.shape[scores.shape.length - 1];
  const postprocess = rows
    ? readLabelledPostprocess(graph, cut, inferred, boxes.name, rows)
    : readPostprocess(graph, cut, inferred, boxes.name, scores.name, K);
  const joined = joinBoxesScores(withOutputs(cut.graph, [boxes.name, scores.name]), boxes, scores);
  const name = joined.outputs[0].name;
  const from = `the inputs of the graph's post-processing: boxes '${boxes.name}', scores '${scores.name}'`;
  return {
    graph: withOutput(joined, name),
    output: {
      name,
      shape: [1, A, 4 + K],
      activation: 'none',
      explained: name,
      // Labelled rows: the model's classes (background 0 and the labels), one score column.
      classes: rows ? Math.max(...rows.labels) + 1 : K,
      task: 'detect',
      from,
      detect: {
        format: 'boxes-scores',
        boxes: A,
        from: request.detectBoxes ? '--detect-boxes/--detect-scores' : 'the graph',
        postprocess,
      },
    },
  };
}

type Found = { name: string; shape: readonly number[] };

function shapeOf(inferred: Inferred, name: string): readonly number[] | undefined {
  return inferred.values.get(name)?.shape;
}

function findBoxes(cut: PostprocessCut, inferred: Inferred, given: string | undefined, where: { file: string }): Found {
  const isBoxes = (s: readonly number[] | undefined) =>
    !!s && s[s.length - 1] === 4 && (s.length === 2 || (s.length === 3 && s[0] === 1)) && s[s.length - 2] > 1;
  if (given !== undefined) return given_(inferred, given, isBoxes, '--detect-boxes', '[A, 4] or [1, A, 4]', where);
  const found = cut.frontier.filter((t) => isFloat(inferred.values.get(t)?.dtype ?? 'unknown') && isBoxes(shapeOf(inferred, t)));
  if (found.length !== 1)
    throw new CamanimError(
      'bad-model',
      `The graph continues past the head into post-processing (${describeRegion(cut)}), and ${found.length ? `${found.length} tensors it reads could be the boxes (${found.join(', ')})` : 'no tensor it reads is a [A, 4] box list'}`,
      where,
      BOXES_HINT,
    );
  return { name: found[0], shape: shapeOf(inferred, found[0])! };
}

function findScores(
  cut: PostprocessCut,
  inferred: Inferred,
  A: number,
  given: string | undefined,
  where: { file: string },
): Found {
  const isScores = (s: readonly number[] | undefined) =>
    !!s && (s.length === 2 || (s.length === 3 && s[0] === 1)) && s[s.length - 2] === A && s[s.length - 1] >= 1;
  if (given !== undefined) return given_(inferred, given, isScores, '--detect-scores', `[1, ${A}, K] or [${A}, K]`, where);
  const upstream = ancestors(cut.graph, cut.frontier);
  const found = cut.graph.nodes
    .filter(
      (n) =>
        (n.opType === 'Softmax' || n.opType === 'Sigmoid') &&
        upstream.has(n.outputs[0]) &&
        isScores(shapeOf(inferred, n.outputs[0])),
    )
    .map((n) => n.outputs[0]);
  if (found.length !== 1)
    throw new CamanimError(
      'bad-model',
      `The post-processing (${describeRegion(cut)}) reads ${found.length ? `${found.length} Softmax/Sigmoid outputs of ${A} boxes (${found.join(', ')})` : `no Softmax/Sigmoid output of ${A} boxes' class scores`}: which are the scores cannot be read`,
      where,
      BOXES_HINT,
    );
  return { name: found[0], shape: shapeOf(inferred, found[0])! };
}

function given_(
  inferred: Inferred,
  name: string,
  ok: (s: readonly number[] | undefined) => boolean,
  flag: string,
  want: string,
  where: { file: string },
): Found {
  const shape = shapeOf(inferred, name);
  if (!shape)
    throw new CamanimError(
      'not-found',
      `${flag} names '${name}', which the graph before its post-processing does not compute`,
      { ...where, tensor: name },
      'Name a tensor the post-processing reads (`camanim layers --all` lists the tensors)',
    );
  if (!ok(shape))
    throw new CamanimError(
      'bad-model',
      `${flag} '${name}' is [${shape.join(', ')}], not ${want}`,
      { ...where, tensor: name },
      BOXES_HINT,
    );
  return { name, shape };
}

/** The tensors `names` depend on in `graph` (themselves included). */
function ancestors(graph: Graph, names: readonly string[]): Set<string> {
  const producer = new Map<string, Node>();
  for (const n of graph.nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  const seen = new Set<string>();
  const stack = [...names];
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    stack.push(...(producer.get(t)?.inputs.filter(Boolean) ?? []));
  }
  return seen;
}

export function describeRegion(cut: PostprocessCut): string {
  const first = cut.nodes.find((n) =>
    allNodes({ ...emptyGraph, nodes: [n] }).some((m) => m.opType === 'NonZero' || m.opType === 'NonMaxSuppression'),
  );
  const ops = [...new Set(cut.nodes.map((n) => n.opType))].join(', ');
  return `${cut.nodes.length} nodes: ${ops}${first ? `, from node '${first.name}' (${first.opType})` : ''}`;
}

const emptyGraph: Graph = { nodes: [], inputs: [], outputs: [], initializers: new Map(), opset: 17, source: '' };

/** The graph's outputs replaced by `names` (for pruning to what they depend on). */
function withOutputs(graph: Graph, names: readonly string[]): Graph {
  return { ...graph, outputs: names.map((name) => ({ name, dtype: 'float32', dims: [] })) };
}

/** camanim's Unsqueeze (where a batch axis is missing) and Concat: [1, A, 4 + K]. */
function joinBoxesScores(graph: Graph, boxes: Found, scores: Found): Graph {
  const taken = new Set([
    ...graph.nodes.flatMap((x) => [x.name, ...x.outputs]),
    ...graph.initializers.keys(),
    ...graph.inputs.map((i) => i.name),
  ]);
  const initializers = new Map(graph.initializers);
  const adapters: Node[] = [];
  const batched = (t: Found): string => {
    if (t.shape.length === 3) return t.name;
    // [A, 4] or [A, K] gain the batch axis; a score per row [A] also its column.
    const added = t.shape.length === 1 ? [0, 2] : [0];
    const axes = fresh('camanim_box_axis', taken);
    taken.add(axes);
    initializers.set(axes, hostTensor('int64', [added.length], added));
    const out = fresh(`${t.name}_batched`, taken);
    taken.add(out);
    const name = fresh('camanim_box_batch', taken);
    taken.add(name);
    adapters.push({
      name,
      opType: 'Unsqueeze',
      domain: '',
      inputs: graph.opset >= 13 ? [t.name, axes] : [t.name],
      outputs: [out],
      attributes: new Map(graph.opset >= 13 ? [] : [['axes', added]]),
    });
    return out;
  };
  const parts = [batched(boxes), batched(scores)];
  const out = fresh('camanim_boxes_scores', taken);
  adapters.push({
    name: fresh('camanim_join_boxes_scores', taken),
    opType: 'Concat',
    domain: '',
    inputs: parts,
    outputs: [out],
    attributes: new Map([['axis', 2]]),
  });
  return {
    ...graph,
    nodes: [...graph.nodes, ...adapters],
    initializers,
    outputs: [{ name: out, dtype: 'float32', dims: [] }],
    adapters: new Set([...(graph.adapters ?? []), ...adapters.map((a) => a.name)]),
  };
}

/** A tensor's constant value: folded by inference, an initializer, or a Constant node of a branch. */
export function constantValue(graph: Graph, inferred: Inferred, name: string): HostTensor | undefined {
  const folded = inferred.consts.get(name) ?? graph.initializers.get(name);
  if (folded) return folded;
  const node = allNodes(graph).find((n) => n.opType === 'Constant' && n.outputs[0] === name);
  return node ? constant.attrs(node, graph.opset) : undefined;
}

function readPostprocess(
  graph: Graph,
  cut: PostprocessCut,
  inferred: Inferred,
  boxes: string,
  scores: string,
  K: number,
): Postprocess {
  const nodes = allNodes(graph);
  const where = { file: graph.source };
  const scalar = (t: string) => {
    const v = constantValue(graph, inferred, t);
    return v && v.data.length === 1 ? v.data[0] : undefined;
  };
  const refuse = (what: string, node?: Node) =>
    new CamanimError(
      'bad-model',
      `The graph's post-processing (${describeRegion(cut)}) reads '${scores}': its ${what} cannot be read from its nodes`,
      node ? { ...where, node: node.name, op: node.opType } : where,
      'camanim reads torchvision-style post-processing (per-class Gather → Greater threshold → NonZero → TopK → NonMaxSuppression); export the model without its post-processing and explain the pre-NMS head with --detect-format, or report the pattern',
    );
  // Views of the scores through Split/Squeeze/Identity/Unsqueeze (torchvision splits the batch).
  const views = new Set([scores]);
  for (const n of nodes)
    if (['Split', 'Squeeze', 'Identity', 'Unsqueeze'].includes(n.opType) && views.has(n.inputs[0]))
      for (const o of n.outputs) views.add(o);
  const perClass = nodes.filter((n) => {
    if (n.opType !== 'Gather' || !views.has(n.inputs[0])) return false;
    const rank = shapeOf(inferred, n.inputs[0])?.length ?? 0;
    const axis = Number(n.attributes.get('axis') ?? 0);
    return (axis < 0 ? axis + rank : axis) === rank - 1 && scalar(n.inputs[1]) !== undefined;
  });
  if (!perClass.length) throw refuse('per-class score Gathers');
  const classes = perClass.map((n) => scalar(n.inputs[1])!).map((k) => (k < 0 ? k + K : k));
  const sliceOf = new Set(perClass.map((n) => n.outputs[0]));
  const thresholds = [
    ...new Set(nodes.filter((n) => n.opType === 'Greater' && sliceOf.has(n.inputs[0])).map((n) => scalar(n.inputs[1]))),
  ];
  if (thresholds.length !== 1 || thresholds[0] === undefined)
    throw refuse("score threshold (a Greater of each class's scores and one constant)");
  const nms = nodes.filter((n) => n.opType === 'NonMaxSuppression');
  const ious = [...new Set(nms.map((n) => (n.inputs[3] ? scalar(n.inputs[3]) : 0)))];
  if (nms.length === 0 || ious.length !== 1 || ious[0] === undefined)
    throw refuse('NMS IoU threshold (NonMaxSuppression with a constant iou_threshold)', nms[0]);
  const topK = readTopK(graph, inferred, cut.nodes, refuse);
  const maxDetections = readMaxDetections(graph, inferred, cut.nodes);
  return {
    boxes,
    scores,
    classes,
    scoreThreshold: thresholds[0],
    iou: ious[0],
    ...(topK !== undefined ? { topK } : {}),
    ...(maxDetections !== undefined ? { maxDetections } : {}),
  };
}

interface LabelledRows {
  readonly scores: Found;
  /** Each row's class, a constant of the graph. */
  readonly labels: readonly number[];
}

/**
 * torchvision's RoIHeads.postprocess_detections reads, per (proposal, class ≥ 1) row, the
 * decoded box [A, 4], the softmax score [A] and the label [A] (a constant): the one float [A]
 * tensor it reads that a Softmax/Sigmoid computes, and the one constant integer [A] tensor.
 */
function labelledRows(cut: PostprocessCut, inferred: Inferred, A: number): LabelledRows | undefined {
  const softmaxed = new Set(
    cut.graph.nodes.filter((n) => n.opType === 'Softmax' || n.opType === 'Sigmoid').map((n) => n.outputs[0]),
  );
  const isRow = (t: string) => shapeOf(inferred, t)?.join() === `${A}`;
  const scores = cut.frontier.filter(
    (t) =>
      isRow(t) &&
      isFloat(inferred.values.get(t)?.dtype ?? 'unknown') &&
      !inferred.consts.has(t) &&
      [...ancestors(cut.graph, [t])].some((a) => softmaxed.has(a)),
  );
  const labels = cut.frontier.filter((t) => isRow(t) && inferred.consts.get(t)?.dtype === 'int64');
  if (scores.length !== 1 || labels.length !== 1) return undefined;
  return { scores: { name: scores[0], shape: [A] }, labels: Array.from(inferred.consts.get(labels[0])!.data, Number) };
}

/** The minimum box side of an And of two GreaterOrEqual (width, height) with one constant: torchvision's remove_small_boxes. */
export function minSideOf(and: Node | undefined, producer: ReadonlyMap<string, Node>, scalar: (t: string) => number | undefined) {
  if (and?.opType !== 'And') return undefined;
  const sides = and.inputs.map((t) => {
    const n = producer.get(t);
    return n?.opType === 'GreaterOrEqual' ? scalar(n.inputs[1]) : undefined;
  });
  return sides.length === 2 && sides[0] !== undefined && sides[0] === sides[1] ? sides[0] : undefined;
}

/** torchvision's postprocess_detections on labelled rows: score > threshold, min box side, batched NMS, the first n. */
function readLabelledPostprocess(
  graph: Graph,
  cut: PostprocessCut,
  inferred: Inferred,
  boxes: string,
  rows: LabelledRows,
): Postprocess {
  const nodes = allNodes(graph);
  const producer = new Map<string, Node>();
  for (const n of nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  const scalar = (t: string) => {
    const v = constantValue(graph, inferred, t);
    return v && v.data.length === 1 ? Number(v.data[0]) : undefined;
  };
  const refuse = (what: string, node?: Node) =>
    new CamanimError(
      'bad-model',
      `The graph's post-processing (${describeRegion(cut)}) reads scores '${rows.scores.name}' and labels per row: its ${what} cannot be read from its nodes`,
      node ? { file: graph.source, node: node.name, op: node.opType } : { file: graph.source },
      "camanim reads torchvision's RoIHeads post-processing (Greater threshold → NonZero → remove_small_boxes → NonMaxSuppression); report the pattern",
    );
  const greater = nodes.find((n) => n.opType === 'Greater' && n.inputs[0] === rows.scores.name);
  const scoreThreshold = greater ? scalar(greater.inputs[1]) : undefined;
  if (scoreThreshold === undefined) throw refuse('score threshold (a Greater of the scores and one constant)', greater);
  const ands = nodes.filter((n) => n.opType === 'And');
  const minSize = ands.map((n) => minSideOf(n, producer, scalar)).find((v) => v !== undefined);
  if (minSize === undefined) throw refuse('minimum box size (an And of two GreaterOrEqual with one constant)', ands[0]);
  const nms = nodes.filter((n) => n.opType === 'NonMaxSuppression');
  const ious = [...new Set(nms.map((n) => (n.inputs[3] ? scalar(n.inputs[3]) : 0)))];
  if (nms.length === 0 || ious.length !== 1 || ious[0] === undefined)
    throw refuse('NMS IoU threshold (NonMaxSuppression with a constant iou_threshold)', nms[0]);
  const maxDetections = readMaxDetections(graph, inferred, cut.nodes);
  return {
    boxes,
    scores: rows.scores.name,
    classes: [0],
    labels: rows.labels,
    scoreThreshold,
    minSize,
    iou: ious[0],
    ...(maxDetections !== undefined ? { maxDetections } : {}),
  };
}

/** The per-class top k: TopK's k, or the constants it is the minimum of (torchvision's min(k, count)). */
function readTopK(
  graph: Graph,
  inferred: Inferred,
  region: readonly Node[],
  refuse: (what: string, node?: Node) => Error,
): number | undefined {
  const producer = new Map<string, Node>();
  for (const n of allNodes(graph)) for (const o of n.outputs) if (o) producer.set(o, n);
  const bounds = region
    .filter((n) => n.opType === 'TopK')
    .map((n) => {
      const found: number[] = [];
      const stack = [n.inputs[1]];
      for (let hops = 0; stack.length && hops < 16; hops++) {
        const t = stack.pop()!;
        const v = constantValue(graph, inferred, t);
        if (v) found.push(...v.data);
        else {
          const p = producer.get(t);
          if (p && (p.opType === 'Concat' || p.opType === 'Min')) stack.push(...p.inputs.filter(Boolean));
          else if (p && ['Reshape', 'ReduceMin', 'Unsqueeze', 'Squeeze', 'Cast'].includes(p.opType)) stack.push(p.inputs[0]);
        }
      }
      if (!found.length) throw refuse('top k (TopK with a constant k, or the minimum of constants)', n);
      return Math.min(...found);
    });
  return bounds.length ? Math.min(...bounds) : undefined;
}

/** The detections kept: a Slice from 0 of what NonMaxSuppression (or the If holding it) gives. */
export function readMaxDetections(graph: Graph, inferred: Inferred, region: readonly Node[]): number | undefined {
  const holdsNms = (n: Node) => allNodes({ ...emptyGraph, nodes: [n] }).some((m) => m.opType === 'NonMaxSuppression');
  const fromNms = new Set(region.filter(holdsNms).flatMap((n) => n.outputs));
  for (const n of region) {
    if (n.opType !== 'Slice' || !fromNms.has(n.inputs[0])) continue;
    const [starts, ends] = [n.inputs[1], n.inputs[2]].map((t) => (t ? constantValue(graph, inferred, t) : undefined));
    if (starts?.data.length === 1 && starts.data[0] === 0 && ends?.data.length === 1) return ends.data[0];
  }
  return undefined;
}
