/**
 * A pre-NMS head's detections, decoded on the host. YOLO-style heads: each box's centre, size
 * and class scores read at the head's layout (task-layout.ts), the box score objectness × class
 * score (YOLOv5) or the class score (YOLOv8), a candidate per box (its best class) at or above a
 * confidence threshold; defaults YOLOv5's detect.py (conf 0.25, IoU 0.45, 300 detections).
 * boxes-scores (a graph's own post-processing, torchvision's postprocess_detections): corners as
 * they are, a candidate per (box, class) of the post-processing's classes whose score is above
 * its threshold, the top k per class; its IoU and detection count. Then class-aware greedy NMS
 * (torchvision's batched_nms: a box suppresses the lower-scored boxes of its class that overlap
 * it by more than the IoU threshold).
 */
import type { DetectFormat, Postprocess } from '../contract/task-layout.ts';

export interface DetectGeometry {
  readonly format: DetectFormat;
  readonly boxes: number;
  readonly classes: number;
  /** boxes-scores: the graph's post-processing. */
  readonly postprocess?: Postprocess;
}

export interface Detection {
  /** The head's row (anchor/grid cell) it was decoded from. */
  readonly row: number;
  readonly class: number;
  readonly score: number;
  /** x1, y1, x2, y2 in the head's units (input pixels for YOLO exports). */
  readonly box: readonly [number, number, number, number];
}

export interface NmsOptions {
  readonly confidence?: number;
  readonly iou?: number;
  readonly maxDetections?: number;
}

/** Channels per box: 4 + 1 + K (YOLOv5), 4 + K; labelled rows 4 + 1 (their one score). */
export function boxChannels(g: DetectGeometry): number {
  if (g.postprocess?.labels) return 5;
  return g.classes + (g.format === 'yolov5' ? 5 : 4);
}

/** Index of channel `c` of box `b` in one item's flattened output. */
export function channelIndex(g: DetectGeometry, b: number, c: number): number {
  return g.format === 'yolov8' ? c * g.boxes + b : b * boxChannels(g) + c;
}

/** The box's score for class `k` and the head channels it is the product of. */
export function boxClassScore(
  row: Float32Array,
  g: DetectGeometry,
  b: number,
  k: number,
): { score: number; obj?: number; cls: number } {
  const at = (c: number) => row[channelIndex(g, b, c)];
  if (g.format !== 'yolov5') return { score: at(4 + k), cls: at(4 + k) };
  const [obj, cls] = [at(4), at(5 + k)];
  return { score: obj * cls, obj, cls };
}

/** Every box's best class and its score, and its corners. */
export function decodeBoxes(row: Float32Array, g: DetectGeometry): Detection[] {
  const out: Detection[] = [];
  for (let b = 0; b < g.boxes; b++) {
    let best = 0;
    let score = -Infinity;
    for (let k = 0; k < g.classes; k++) {
      const s = boxClassScore(row, g, b, k).score;
      if (s > score) [best, score] = [k, s];
    }
    out.push({ row: b, class: best, score, box: corners(row, g, b) });
  }
  return out;
}

/** Box `b`'s x1, y1, x2, y2. */
function corners(row: Float32Array, g: DetectGeometry, b: number): Detection['box'] {
  const [p, q, r, s] = [0, 1, 2, 3].map((c) => row[channelIndex(g, b, c)]);
  return g.format === 'boxes-scores' ? [p, q, r, s] : [p - r / 2, q - s / 2, p + r / 2, q + s / 2];
}

export const bestFirst = (a: Detection, b: Detection) => b.score - a.score || a.row - b.row;

/**
 * The post-processing's candidates: per class in its order, scores above its threshold, boxes
 * with sides of at least its minimum, its top k of them. Labelled rows (a two-stage box head):
 * the one score column, each row of its own class.
 */
function postprocessCandidates(row: Float32Array, g: DetectGeometry, p: Postprocess): Detection[] {
  const big = (box: Detection['box']) =>
    p.minSize === undefined || (box[2] - box[0] >= p.minSize && box[3] - box[1] >= p.minSize);
  return p.classes.flatMap((k) => {
    const of: Detection[] = [];
    for (let b = 0; b < g.boxes; b++) {
      const score = boxClassScore(row, g, b, k).score;
      const box = corners(row, g, b);
      if (score > p.scoreThreshold && big(box)) of.push({ row: b, class: p.labels ? p.labels[b] : k, score, box });
    }
    return of.sort(bestFirst).slice(0, p.topK);
  });
}

/** The score channel (after the 4 corners, or the 5 of YOLOv5) a detection's class is read from. */
export function scoreColumn(g: DetectGeometry, d: Detection): number {
  return g.postprocess?.labels ? 0 : d.class;
}

export function iou(a: readonly number[], b: readonly number[]): number {
  const iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = iw * ih;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * The candidates, best first (ties: the lower row): at or above the confidence threshold (YOLO),
 * or the graph's post-processing's (boxes-scores, which ignores `confidence`).
 */
export function candidates(row: Float32Array, g: DetectGeometry, confidence = 0.25): Detection[] {
  if (g.postprocess) return postprocessCandidates(row, g, g.postprocess).sort(bestFirst);
  return decodeBoxes(row, g)
    .filter((d) => d.score >= confidence)
    .sort(bestFirst);
}

/** The detections after class-aware NMS, best first (boxes-scores: at the post-processing's IoU and count). */
export function detect(row: Float32Array, g: DetectGeometry, opts: NmsOptions = {}): Detection[] {
  const p = g.postprocess;
  const [threshold, max] = p ? [p.iou, p.maxDetections ?? Infinity] : [opts.iou ?? 0.45, opts.maxDetections ?? 300];
  return batchedNms(candidates(row, g, opts.confidence), threshold, max);
}

/**
 * torchvision's batched_nms on candidates sorted best first: each suppresses the later ones of
 * its class overlapping it by more than `threshold`; the first `max` kept.
 */
export function batchedNms(sorted: readonly Detection[], threshold: number, max = Infinity): Detection[] {
  const kept: Detection[] = [];
  for (const d of sorted) {
    if (kept.length >= max) break;
    if (!kept.some((k) => k.class === d.class && iou(k.box, d.box) > threshold)) kept.push(d);
  }
  return kept;
}
