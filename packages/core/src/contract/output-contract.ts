/**
 * The output contract: which output is the classifier, whether the graph already ends in an
 * activation, and which tensor's scores are explained. A graph that ends in Softmax,
 * LogSoftmax or Sigmoid is explained at the scores before it (as pytorch-grad-cam users explain
 * logits), and its own probabilities are reported. Only [N, K] outputs are classifiers; any
 * other shape is refused with what it looks like, never flattened into "classes".
 */
import { CamanimError } from '../errors.ts';
import type { Graph, Node } from '../graph/ir.ts';

export type OutputActivation = 'softmax' | 'logsoftmax' | 'sigmoid' | 'none';
/** classify: an [N, K] output; segment: an [N, K, H, W] map of class scores (SemanticSegmentationTarget). */
export type OutputTask = 'classify' | 'segment';

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
}

export interface OutputRequest {
  readonly output?: string;
  /** Names the source of `output` in messages. */
  readonly from?: string;
  /** Default classify. */
  readonly task?: OutputTask;
}

const ACTIVATIONS: Record<string, OutputActivation> = { Softmax: 'softmax', LogSoftmax: 'logsoftmax', Sigmoid: 'sigmoid' };

export function resolveOutputContract(graph: Graph, shapeOf: (tensor: string) => readonly number[] | undefined, request: OutputRequest = {}): OutputContract {
  const outputs = graph.outputs.map((o) => ({ name: o.name, shape: shapeOf(o.name) ?? [] }));
  const list = outputs.map((o) => `'${o.name}' [${o.shape.join(', ')}]`).join(', ');
  const task = request.task ?? 'classify';
  let chosen: { name: string; shape: readonly number[] };
  let from: string;
  if (request.output !== undefined) {
    const found = outputs.find((o) => o.name === request.output);
    if (!found) throw new CamanimError('not-found', `${request.from ?? '--output'} names '${request.output}', which is not an output of the model`, { file: graph.source, tensor: request.output }, `The model's outputs: ${list}`);
    [chosen, from] = [found, request.from ?? '--output'];
  } else if (outputs.length === 1) {
    [chosen, from] = [outputs[0], 'the only output'];
  } else {
    const fits = outputs.filter((o) => (task === 'segment' ? isMapShape(o.shape) : isClassifierShape(o.shape)));
    const kind = task === 'segment' ? 'map [N, K, H, W]' : 'classifier [N, K]';
    if (fits.length !== 1) {
      throw new CamanimError('bad-model', `The model has ${outputs.length} outputs (${list}) and ${fits.length === 0 ? 'none is' : 'more than one could be'} a ${kind}`, { file: graph.source }, 'Pick one with --output NAME (library: output)');
    }
    [chosen, from] = [fits[0], `the only ${kind} output of ${outputs.length}`];
  }
  if (task === 'segment' && !isMapShape(chosen.shape)) {
    throw new CamanimError('bad-model', `--task segment needs an [N, K, H, W] map of class scores; output '${chosen.name}' is [${chosen.shape.join(', ')}]`, { file: graph.source, tensor: chosen.name }, 'Pick the segmentation output with --output NAME, or explain a classifier with --task classify');
  }
  if (task === 'classify' && !isClassifierShape(chosen.shape)) throw notAClassifier(graph, chosen);
  const end = finalActivation(graph, chosen.name, chosen.shape, shapeOf);
  return { name: chosen.name, shape: chosen.shape, activation: end.activation, explained: end.explained, classes: chosen.shape[1] ?? 1, task, from };
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
    o.shape.length === 3 ? `a sequence (${o.shape[1]} steps of ${o.shape[2]} scores, as text recognisers and transformers output)` :
    o.shape.length === 4 ? `a map (${o.shape[1]} channels at ${o.shape[2]}×${o.shape[3]}, as segmenters and detector heads output)` :
    `not one score per class`;
  return new CamanimError(
    'bad-model',
    `Output '${o.name}' is ${shape}: ${what}, not a classifier's [N, K]; camanim explains classifier outputs, and would read this one as ${o.shape.slice(1).reduce((a, b) => a * b, 1)} meaningless "classes"`,
    { file: graph.source, tensor: o.name },
    o.shape.length === 4
      ? 'Explain it as segmentation with --task segment (pytorch-grad-cam\'s SemanticSegmentationTarget), or pick a classifier output with --output NAME'
      : 'If the model has a classifier output, pick it with --output NAME; explaining sequences and detection needs their task targets, which camanim does not have yet',
  );
}

function finalActivation(graph: Graph, output: string, shape: readonly number[], shapeOf: (t: string) => readonly number[] | undefined): { activation: OutputActivation; explained: string } {
  const producer = new Map<string, Node>();
  for (const n of graph.nodes) for (const o of n.outputs) if (o) producer.set(o, n);
  let node = producer.get(output);
  while (node && node.opType === 'Identity') node = producer.get(node.inputs[0]);
  const activation = node && node.domain === '' ? ACTIVATIONS[node.opType] : undefined;
  if (!node || !activation) return { activation: 'none', explained: output };
  const before = node.inputs[0];
  const count = (s: readonly number[] | undefined) => s?.reduce((a, b) => a * b, 1);
  if (count(shapeOf(before)) !== count(shape)) return { activation: 'none', explained: output };
  if (activation !== 'sigmoid' && !overClasses(node, shapeOf(before)!, graph.opset)) return { activation: 'none', explained: output };
  return { activation, explained: before };
}

/** Whether a (Log)Softmax normalizes over the class axis (axis 1 of [N, K, 1…]). */
function overClasses(node: Node, shape: readonly number[], opset: number): boolean {
  const given = node.attributes.get('axis');
  const axis = typeof given === 'number' ? given : opset >= 13 ? -1 : 1;
  const a = axis < 0 ? axis + shape.length : axis;
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
