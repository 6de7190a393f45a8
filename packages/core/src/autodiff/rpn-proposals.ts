/**
 * The region proposals of a two-stage detector's first stage, chosen on the host as torchvision's
 * RegionProposalNetwork.filter_proposals does (eval mode, one image), from the RPN's objectness
 * logits [A] and decoded boxes [A, 4] and the settings read from the graph (contract/rpn-head.ts):
 * per level the top k anchors by objectness (levels concatenated in order), sigmoid scores, boxes
 * clipped to [0, width] × [0, height], boxes with a side under minSize dropped, scores under the
 * threshold dropped, NMS within each level (batched_nms, the level as the class), the best `keep`.
 * The proposals are constants of the second stage: torchvision detaches them too.
 */
import type { RpnSettings } from '../contract/rpn-head.ts';
import { batchedNms, bestFirst, type Detection } from './detections.ts';

/** Proposals best first: `row` the anchor, `class` its level, `score` the sigmoid objectness. */
export function rpnProposals(objectness: ArrayLike<number>, boxes: ArrayLike<number>, s: RpnSettings): Detection[] {
  const chosen: Detection[] = [];
  let start = 0;
  s.levels.forEach((n, level) => {
    const rows = Array.from({ length: n }, (_, i) => start + i);
    rows.sort((a, b) => objectness[b] - objectness[a] || a - b);
    for (const row of rows.slice(0, s.topK[level])) {
      const clip = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
      const [x1, y1, x2, y2] = [0, 1, 2, 3].map((c) => clip(boxes[4 * row + c], c % 2 ? s.height : s.width));
      const score = 1 / (1 + Math.exp(-objectness[row]));
      if (x2 - x1 >= s.minSize && y2 - y1 >= s.minSize && score >= s.scoreThreshold)
        chosen.push({ row, class: level, score, box: [x1, y1, x2, y2] });
    }
    start += n;
  });
  return batchedNms(chosen.sort(bestFirst), s.iou, s.keep);
}
