/**
 * Which axis of a task's output means what, read from what states it and never guessed:
 * a sequence's time axis (`[T, N, C]` or `[N, T, C]`) and a detection head's layout (YOLOv5's
 * `[N, boxes, 4+1+K]` or YOLOv8's `[N, 4+K, boxes]`). Where nothing states it, the error names
 * the flag that does.
 */
import { CamanimError } from '../errors.ts';
import type { Graph } from '../graph/ir.ts';

export type SequenceLayout = 'TNC' | 'NTC';
/**
 * yolov5: [N, boxes, cx cy w h, objectness, K scores]; yolov8: [N, cx cy w h + K scores, boxes];
 * boxes-scores: [N, boxes, x1 y1 x2 y2 + K scores], camanim's Concat of the decoded boxes and the
 * scores a graph's own post-processing reads (torchvision's detectors: prenms-head.ts).
 */
export type DetectFormat = 'yolov5' | 'yolov8' | 'boxes-scores';

/**
 * What a graph's own post-processing does with its pre-NMS boxes and scores, read from its nodes
 * (torchvision's postprocess_detections: per class, scores above the threshold, the top k of
 * them, batched NMS at the IoU, the first detections kept).
 */
export interface Postprocess {
  /** The tensors it reads: boxes [A, 4] (x1, y1, x2, y2) and scores [A, K] (or with a batch axis of 1). */
  readonly boxes: string;
  readonly scores: string;
  /** The classes it thresholds, in its order (torchvision: 1..K-1, class 0 the background). */
  readonly classes: readonly number[];
  /** A candidate's score is above this (strictly). */
  readonly scoreThreshold: number;
  /** NMS suppresses a box of the same class overlapping a better one by more than this. */
  readonly iou: number;
  /** The candidates kept per class, best first; absent: all. */
  readonly topK?: number;
  /** The detections kept after NMS; absent: all. */
  readonly maxDetections?: number;
  /**
   * Rows of one score each with their own class (torchvision's two-stage box head: a row per
   * proposal and class): `classes` is [0], the score column, and this each row's class.
   */
  readonly labels?: readonly number[];
  /** A candidate's box sides are at least this (remove_small_boxes); absent: no minimum. */
  readonly minSize?: number;
}

export interface SequenceAxes {
  readonly layout: SequenceLayout;
  readonly steps: number;
  /** What stated the layout. */
  readonly from: string;
}

export interface DetectAxes {
  readonly format: DetectFormat;
  readonly boxes: number;
  readonly from: string;
  /** boxes-scores: the graph's post-processing, which camanim runs on the host. */
  readonly postprocess?: Postprocess;
}

type Output = { readonly name: string; readonly shape: readonly number[] };

/**
 * The time axis of a rank-3 output: `--sequence-layout`, else the output's declared dim that
 * carries the input's symbolic batch dim, else the one of axes 0 and 1 that holds the run's
 * batch of 1 when the other does not.
 */
export function sequenceAxes(
  graph: Graph,
  o: Output,
  given: SequenceLayout | undefined,
  from = '--sequence-layout',
): SequenceAxes {
  const shape = `[${o.shape.join(', ')}]`;
  if (o.shape.length !== 3) {
    throw new CamanimError(
      'bad-model',
      `--task sequence needs a [T, N, C] or [N, T, C] output of per-step class scores; output '${o.name}' is ${shape}`,
      { file: graph.source, tensor: o.name },
      "Pick the recogniser's output with --output NAME",
    );
  }
  const axes = (layout: SequenceLayout, why: string): SequenceAxes => ({
    layout,
    steps: o.shape[layout === 'TNC' ? 0 : 1],
    from: why,
  });
  if (given) return axes(given, from);
  const batch = graph.inputs[0]?.dims[0];
  const dims = graph.outputs.find((v) => v.name === o.name)?.dims ?? [];
  if (typeof batch === 'string' && (dims[0] === batch) !== (dims[1] === batch)) {
    return axes(dims[0] === batch ? 'NTC' : 'TNC', `the output's dim '${batch}', the input's batch`);
  }
  if ((o.shape[0] === 1) !== (o.shape[1] === 1)) return axes(o.shape[0] === 1 ? 'NTC' : 'TNC', 'the axis of the batch of 1');
  throw new CamanimError(
    'bad-model',
    `Output '${o.name}' is ${shape}: which of its first two axes is time cannot be read ` +
      '(neither its declared dims nor the batch of 1 tell)',
    { file: graph.source, tensor: o.name },
    'Say it with --sequence-layout tnc ([T, N, C], CRNN in PyTorch) or ntc ([N, T, C], PaddleOCR, Keras) (library: output.sequenceLayout)',
  );
}

/** K of a detection head's output [N, boxes, 4+1+K], [N, 4+K, boxes] or [N, boxes, 4+K]. */
export function detectClasses(format: DetectFormat, shape: readonly number[]): number {
  return format === 'yolov5' ? shape[2] - 5 : format === 'yolov8' ? shape[1] - 4 : shape[2] - 4;
}

/**
 * The head's layout from `--detect-format`, else from an Ultralytics export's metadata_props
 * (author 'Ultralytics', task 'detect': its YOLOv8-family head [N, 4+K, boxes]), checked
 * against the output's shape.
 */
export function detectAxes(
  graph: Graph,
  o: Output,
  flag: Exclude<DetectFormat, 'boxes-scores'> | undefined,
  flagName = '--detect-format',
): DetectAxes {
  const shape = `[${o.shape.join(', ')}]`;
  const where = { file: graph.source, tensor: o.name };
  const ultralytics = graph.metadata?.get('author') === 'Ultralytics' && graph.metadata.get('task') === 'detect';
  const given = flag ?? (ultralytics ? 'yolov8' : undefined);
  const from = flag ? flagName : "the model's metadata (author Ultralytics, task detect)";
  if (!given) {
    throw new CamanimError(
      'bad-model',
      `--task detect needs the layout of output '${o.name}' ${shape}, which its shape does not tell`,
      where,
      'Say it with --detect-format yolov5 ([N, boxes, 4+1+K]: cx, cy, w, h, objectness, K class scores) ' +
        'or yolov8 ([N, 4+K, boxes]: cx, cy, w, h, K class scores), on the pre-NMS head (library: output.detectFormat)',
    );
  }
  const [minRows, axis] = given === 'yolov5' ? [6, 2] : [5, 1];
  if (o.shape.length !== 3 || o.shape[axis] < minRows) {
    throw new CamanimError(
      'bad-model',
      `${from} ${given} needs [N, ${given === 'yolov5' ? 'boxes, 4+1+K' : '4+K, boxes'}] with K ≥ 1; output '${o.name}' is ${shape}`,
      where,
      'Check --detect-format, or pick the pre-NMS head with --output NAME',
    );
  }
  return { format: given, boxes: o.shape[given === 'yolov5' ? 1 : 2], from };
}
