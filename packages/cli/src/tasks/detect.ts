/**
 * --task detect: a pre-NMS YOLO-style head ([N, boxes, 4+1+K] or [N, 4+K, boxes], read from
 * --detect-format by the contract), decoded and NMS'd on the host (core `detect`); --box i picks
 * a detection, explained with core's box-score target (the scores of the candidates matching it).
 */
import { boxScoreTarget, detect, type DetectGeometry, type Detection, type OutputContract } from '@camanim/core';
import { cliError } from '../errors.ts';
import type { Labels } from '../labels.ts';
import type { TaskChoice } from '../task-flags.ts';
import type { ChosenTarget } from '../target.ts';
import { builtTask, type Task } from './types.ts';

export function detectTask(output: OutputContract, labels: Labels, choice: TaskChoice): Task {
  const g: DetectGeometry = { format: output.detect!.format, boxes: output.detect!.boxes, classes: output.classes };
  const caption = (d: Detection, i: number) =>
    `#${i} ${labels.name(d.class)} ${d.score.toFixed(3)} [${d.box.map((v) => v.toFixed(1)).join(', ')}]`;
  const chosen = (d: Detection, i: number): ChosenTarget => ({
    class: d.class,
    label: labels.name(d.class),
    logit: d.score,
    probability: d.score,
    rank: i + 1,
    kind: 'logit',
    caption: caption(d, i),
  });
  return builtTask(
    g.boxes * (g.classes + (g.format === 'yolov5' ? 5 : 4)),
    (s) => detect(s, g).map(chosen),
    (s) => {
      const dets = detect(s, g);
      if (!dets.length)
        throw cliError(
          `No box of output '${output.name}' scores 0.25 or more: nothing is detected to explain`,
          { tensor: output.name },
          'Check --detect-format and the preprocessing (the contract line), or the image',
        );
      const d = dets[choice.box];
      if (!d)
        throw cliError(
          `--box ${choice.box} is out of range: ${dets.length} boxes are detected (0 to ${dets.length - 1})`,
          { tensor: output.name },
          `Pick --box 0..${dets.length - 1} (listed best first)`,
        );
      const cam = boxScoreTarget(d, g);
      const value = cam.score(s).value;
      return [
        {
          ...chosen(d, choice.box),
          logit: value,
          // The frames' caption: the box's corners are in the listing, the frame has room for the rest.
          caption: `box #${choice.box} ${labels.name(d.class)} ${d.score.toFixed(3)} · Σ scores ${value.toFixed(3)}`,
          cam,
        },
      ];
    },
  );
}
