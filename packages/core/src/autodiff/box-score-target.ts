/**
 * The score of one detection, pytorch-grad-cam's FasterRCNNBoxScoreTarget idea on a pre-NMS
 * head: that library takes the best-IoU output box of the chosen box's label (IoU + score,
 * after the detector's NMS); here, where every pre-NMS box is an output row, the target is the
 * sum of the class scores of the candidate boxes (YOLO: score ≥ the confidence threshold, the
 * box's best class the detection's; boxes-scores: the graph's post-processing's candidates of
 * the detection's class) whose IoU with its box is above `iouThreshold` (0.5, the library's
 * default). The matching is read from the output and held constant; the gradient flows from
 * the scores: d(obj · cls) = cls d obj + obj d cls (YOLOv5), d cls (YOLOv8, boxes-scores).
 */
import { CamanimError } from '../errors.ts';
import {
  boxChannels,
  boxClassScore,
  candidates,
  channelIndex,
  iou,
  scoreColumn,
  type DetectGeometry,
  type Detection,
} from './detections.ts';
import type { CustomTarget } from './targets.ts';

export function boxScoreTarget(
  detection: Detection,
  g: DetectGeometry,
  opts: { confidence?: number; iouThreshold?: number } = {},
): CustomTarget {
  const threshold = opts.iouThreshold ?? 0.5;
  return {
    describe: `BoxScoreTarget(class ${detection.class}, [${detection.box.map((v) => v.toFixed(1)).join(', ')}])`,
    score(row) {
      const per = boxChannels(g);
      if (row.length !== per * g.boxes) {
        throw new CamanimError(
          'bad-target',
          `A box-score target: an output row of ${row.length} values is not ${g.boxes} boxes × ${per} channels`,
          {},
          'Explain the pre-NMS head with --task detect',
        );
      }
      const grad = new Float32Array(row.length);
      let value = 0;
      for (const d of candidates(row, g, opts.confidence)) {
        if (d.class !== detection.class || iou(d.box, detection.box) <= threshold) continue;
        const s = boxClassScore(row, g, d.row, scoreColumn(g, d));
        value += s.score;
        if (s.obj === undefined) grad[channelIndex(g, d.row, 4 + scoreColumn(g, d))] += 1;
        else {
          grad[channelIndex(g, d.row, 4)] += s.cls;
          grad[channelIndex(g, d.row, 5 + d.class)] += s.obj;
        }
      }
      return { value, grad };
    },
  };
}
