/**
 * The output contract: which output is the classifier, whether the graph already ends in an
 * activation, and which tensor's scores are explained. A graph that ends in Softmax,
 * LogSoftmax or Sigmoid is explained at the scores before it (as pytorch-grad-cam users explain
 * logits), and its own probabilities are reported. Only [N, K] outputs are classifiers; any
 * other shape is refused with what it looks like, never flattened into "classes".
 */
import { CamanimError } from '../errors.ts';
import type { Graph, Node } from '../graph/ir.ts';
import {
  detectAxes,
  detectClasses,
  sequenceAxes,
  type DetectAxes,
  type DetectFormat,
  type SequenceAxes,
  type SequenceLayout,
} from './task-layout.ts';

export type OutputActivation = 'softmax' | 'logsoftmax' | 'sigmoid' | 'none';
/**
 * classify: an [N, K] output; segment: an [N, K, H, W] map of class scores (SemanticSegmentationTarget);
 * regress: [N, K] scores, one explained up or down; embed: an [N, D] embedding (cosine similarity to a
 * reference's); sequence: [T, N, C] or [N, T, C] per-step scores (CTC); detect: a pre-NMS YOLO-style head.
 */
export type OutputTask = 'classify' | 'segment' | 'regress' | 'embed' | 'sequence' | 'detect';

export interface OutputContract {
  /** The model output read. */
  readonly name: string;
  readonly shape: readonly number[];
  /** The activation that ends the graph at that output. */
  readonly activation: OutputActivation;
  /** The tensor whose scores are explained: the activation's input, or the output itself. */
  readonly explained: string;
  readonly classes: number;
  readonly task: OutputTask;
  /** Why this output ("--output", "the only output", …). */
  readonly from: string;
  /** --task sequence: the time axis; `classes` is C. */
  readonly sequence?: SequenceAxes;
  /** --task detect: the head's layout; `classes` is K. */
  readonly detect?: DetectAxes;
}

export interface OutputRequest {
  readonly output?: string;
  /** Names the source of `output` in messages. */
  readonly from?: string;
  /** Default classify. */
  readonly task?: OutputTask;
  /** --task sequence: which axis is time, where the model does not say. */
  readonly sequenceLayout?: SequenceLayout;
  /** --task detect: the head's layout (never read from the shape). */
  readonly detectFormat?: Exclude<DetectFormat, 'boxes-scores'>;
  /** --task detect on a graph with its post-processing: the pre-NMS boxes and scores it reads, where the graph does not tell (prenms-head.ts). */
  readonly detectBoxes?: string;
  readonly detectScores?: string;
}

const ACTIVATIONS: Record<string, OutputActivation> = { Softmax: 'softmax', LogSoftmax: 'logsoftmax', Sigmoid: 'sigmoid' };

export function resolveOutputContract(
  graph: Graph,
  shapeOf: (tensor: string) => readonly number[] | undefined,
  request: OutputRequest = {},
): OutputContract {
  const outputs = graph.outputs.map((o) => ({ name: o.name, shape: shapeOf(o.name) ?? [] }));
  const list = outputs.map((o) => `'${o.name}' [${o.shape.join(', ')}]`).join(', ');
  const task = request.task ?? 'classify';
  let chosen: { name: string; shape: readonly number[] };
  let from: string;
  if (request.output !== undefined) {
    const found = outputs.find((o) => o.name === request.output);
    if (!found)
      throw new CamanimError(
        'not-found',
        `${request.from ?? '--output'} names '${request.output}', which is not an output of the model`,
        { file: graph.source, tensor: request.output },
        `The model's outputs: ${list}`,
      );
    [chosen, from] = [found, request.from ?? '--output'];
  } else if (outputs.length === 1) {
    [chosen, from] = [outputs[0], 'the only output'];
  } else {
    const rank3 = task === 'sequence' || task === 'detect';
    const fits = outputs.filter((o) =>
      task === 'segment' ? isMapShape(o.shape) : rank3 ? o.shape.length === 3 : isClassifierShape(o.shape),
    );
    const kind = task === 'segment' ? 'map [N, K, H, W]' : rank3 ? `${task} output of rank 3` : 'classifier [N, K]';
    if (fits.length !== 1) {
      throw new CamanimError(
        'bad-model',
        `The model has ${outputs.length} outputs (${list}) and ${fits.length === 0 ? 'none is' : 'more than one could be'} a ${kind}`,
        { file: graph.source },
        'Pick one with --output NAME (library: output)',
      );
    }
    [chosen, from] = [fits[0], `the only ${kind} output of ${outputs.length}`];
  }
  if (task === 'segment' && !isMapShape(chosen.shape)) {
    throw new CamanimError(
      'bad-model',
      `--task segment needs an [N, K, H, W] map of class scores; output '${chosen.name}' is [${chosen.shape.join(', ')}]`,
      { file: graph.source, tensor: chosen.name },
      'Pick the segmentation output with --output NAME, or explain a classifier with --task classify',
    );
  }
  if ((task === 'classify' || task === 'regress' || task === 'embed') && !isClassifierShape(chosen.shape))
    throw notAClassifier(graph, chosen);
  const sequence = task === 'sequence' ? sequenceAxes(graph, chosen, request.sequenceLayout) : undefined;
  const detect = task === 'detect' ? detectAxes(graph, chosen, request.detectFormat) : undefined;
  // An embedding is compared as it is, and a detection head's scores are its own (sigmoids inside the decode).
  const end =
    task === 'embed' || detect
      ? { activation: 'none' as const, explained: chosen.name }
      : finalActivation(graph, chosen.name, chosen.shape, shapeOf, sequence ? 2 : 1);
  const classes = sequence ? chosen.shape[2] : detect ? detectClasses(detect.format, chosen.shape) : (chosen.shape[1] ?? 1);
  return {
    name: chosen.name,
    shape: chosen.shape,
    activation: end.activation,
    explained: end.explained,
    classes,
    task,
    from,
    ...(sequence ? { sequence } : {}),
    ...(detect ? { detect } : {}),
  };
}

/** [N, K, H, W] with more than one pixel. */
function isMapShape(shape: readonly number[]): boolean {
  return shape.length === 4 && shape[2] * shape[3] > 1;
}

/** [N, K], [N] (one score), or [N, K, 1, …, 1]. */
function isClassifierShape(shape: readonly number[]): boolean {
  return shape.length >= 1 && shape.slice(2).every((d) => d === 1);
}

function notAClassifier(graph: Graph, o: { name: string; shape: readonly number[] }): CamanimError {
  const shape = `[${o.shape.join(', ')}]`;
  const what =
    o.shape.length === 3
      ? `a sequence (${o.shape[1]} steps of ${o.shape[2]} scores, as text recognisers and transformers output)`
      : o.shape.length === 4
        ? `a map (${o.shape[1]} channels at ${o.shape[2]}×${o.shape[3]}, as segmenters and detector heads output)`
        : `not one score per class`;
  return new CamanimError(
    'bad-model',
    `Output '${o.name}' is ${shape}: ${what}, not a classifier's [N, K]; camanim explains classifier outputs, and would read this one as ${o.shape.slice(1).reduce((a, b) => a * b, 1)} meaningless "classes"`,
    { file: graph.source, tensor: o.name },
    o.shape.length === 4
      ? "Explain it as segmentation with --task segment (pytorch-grad-cam's SemanticSegmentationTarget), or pick a classifier output with --output NAME"
      : o.shape.length === 3
        ? 'Explain a text recogniser with --task sequence, a pre-NMS detection head with --task detect, or pick a classifier output with --output NAME'
        : 'If the model has a classifier output, pick it with --output NAME',
  );
}

function finalActivation(
  graph: Graph,
  output: string,
  shape: readonly number[],
  shapeOf: (t: string) => readonly number[] | undefined,
  classAxis: number,
): { activation: OutputActivation; explained: string } {
  const producer = new Map<string, Node>();
  for (const n of graph.nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  let node = producer.get(output);
  while (node && node.opType === 'Identity') node = producer.get(node.inputs[0]);
  const activation = node && node.domain === '' ? ACTIVATIONS[node.opType] : undefined;
  if (!node || !activation) return { activation: 'none', explained: output };
  const before = node.inputs[0];
  const count = (s: readonly number[] | undefined) => s?.reduce((a, b) => a * b, 1);
  if (count(shapeOf(before)) !== count(shape)) return { activation: 'none', explained: output };
  if (activation !== 'sigmoid' && !overClasses(node, shapeOf(before)!, graph.opset, classAxis))
    return { activation: 'none', explained: output };
  return { activation, explained: before };
}

/** Whether a (Log)Softmax normalizes over the class axis (axis 1 of [N, K, 1…]; a sequence's last axis). */
function overClasses(node: Node, shape: readonly number[], opset: number, classAxis: number): boolean {
  const given = node.attributes.get('axis');
  const axis = typeof given === 'number' ? given : opset >= 13 ? -1 : 1;
  const a = axis < 0 ? axis + shape.length : axis;
  // A sequence's class axis is the last: before opset 13 too, the 2-D coercion at it covers it alone.
  if (classAxis !== 1) return a === classAxis;
  // Before opset 13 the input is coerced to 2-D at `axis`: axis 1 covers K and the 1s after it.
  return a === 1 || shape.slice(1).every((d, k) => k + 1 === a || d === 1);
}

/** The model's own probability per class, from the explained scores of one item. */
export function classProbabilities(scores: Float32Array, activation: OutputActivation): Float32Array {
  if (activation === 'sigmoid') return scores.map((v) => 1 / (1 + Math.exp(-v)));
  let max = -Infinity;
  for (const v of scores) max = Math.max(max, v);
  const e = scores.map((v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

/**
 * An output with no activation node whose values are all in [0, 1] and sum to 1 is probably a
 * probability already (an activation fused away by a converter): a warning, for the caller to show.
 */
export function probabilityWarning(o: OutputContract, scores: Float32Array): string | undefined {
  if (o.activation !== 'none' || scores.length < 2) return undefined;
  let sum = 0;
  for (const v of scores) {
    if (!(v >= 0 && v <= 1)) return undefined;
    sum += v;
  }
  if (Math.abs(sum - 1) > 1e-3) return undefined;
  return `warning: output '${o.name}' has no Softmax node, but its values are in [0, 1] and sum to 1: it looks like probabilities already. camanim explains them as scores, and its reported probabilities are a softmax of them. Export the model without its final softmax (logits), or pick the logits with --output NAME if the model has them`;
}
