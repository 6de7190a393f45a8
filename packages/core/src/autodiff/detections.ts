/**
 * A YOLO-style pre-NMS head's detections, decoded on the host: each box's centre, size and class
 * scores read at the head's layout (task-layout.ts), the box score objectness × class score
 * (YOLOv5) or the class score (YOLOv8), candidates at or above a confidence threshold, then
 * class-aware greedy NMS (torchvision's batched_nms: a box suppresses the lower-scored boxes of
 * its class that overlap it by more than the IoU threshold). Defaults: YOLOv5's detect.py
 * (conf 0.25, IoU 0.45, 300 detections).
 */
import type { DetectFormat } from '../contract/task-layout.ts';

export interface DetectGeometry {
  readonly format: DetectFormat;
  readonly boxes: number;
  readonly classes: number;
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

/** Index of channel `c` of box `b` in one item's flattened output. */
export function channelIndex(g: DetectGeometry, b: number, c: number): number {
  return g.format === 'yolov5' ? b * (5 + g.classes) + c : c * g.boxes + b;
}

/** The box's score for class `k` and the head channels it is the product of. */
export function boxClassScore(
  row: Float32Array,
  g: DetectGeometry,
  b: number,
  k: number,
): { score: number; obj?: number; cls: number } {
  const at = (c: number) => row[channelIndex(g, b, c)];
  if (g.format === 'yolov8') return { score: at(4 + k), cls: at(4 + k) };
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
    const [cx, cy, w, h] = [0, 1, 2, 3].map((c) => row[channelIndex(g, b, c)]);
    out.push({ row: b, class: best, score, box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2] });
  }
  return out;
}

export function iou(a: readonly number[], b: readonly number[]): number {
  const iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = iw * ih;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/** The candidates at or above the confidence threshold, best first (ties: the lower row). */
export function candidates(row: Float32Array, g: DetectGeometry, confidence = 0.25): Detection[] {
  return decodeBoxes(row, g)
    .filter((d) => d.score >= confidence)
    .sort((a, b) => b.score - a.score || a.row - b.row);
}

/** The detections after class-aware NMS, best first. */
export function detect(row: Float32Array, g: DetectGeometry, opts: NmsOptions = {}): Detection[] {
  const kept: Detection[] = [];
  for (const d of candidates(row, g, opts.confidence)) {
    if (kept.length >= (opts.maxDetections ?? 300)) break;
    if (!kept.some((k) => k.class === d.class && iou(k.box, d.box) > (opts.iou ?? 0.45))) kept.push(d);
  }
  return kept;
}
