/**
 * --task detect: a pre-NMS YOLO-style head ([N, boxes, 4+1+K] or [N, 4+K, boxes], read from
 * --detect-format by the contract), or the boxes and scores a graph's own post-processing reads
 * (torchvision's detectors: [N, boxes, 4+K] after camanim's Concat, with the post-processing's
 * settings), decoded and NMS'd on the host (core `detect`); --box i picks a detection, explained
 * with core's box-score target (the scores of the candidates matching it).
 */
import { boxChannels, boxScoreTarget, detect, type DetectGeometry, type Detection, type OutputContract } from '@camanim/core';
import { cliError } from '../errors.ts';
import type { Labels } from '../labels.ts';
import type { TaskChoice } from '../task-flags.ts';
import type { ChosenTarget } from '../target.ts';
import { builtTask, type Task } from './types.ts';

/** The detections listed per image. */
const LISTED = 10;

export function detectTask(output: OutputContract, labels: Labels, choice: TaskChoice): Task {
  const { format, boxes, postprocess } = output.detect!;
  const g: DetectGeometry = { format, boxes, classes: output.classes, ...(postprocess ? { postprocess } : {}) };
  const threshold = postprocess ? `more than ${postprocess.scoreThreshold} (the graph's post-processing)` : '0.25 or more';
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
    g.boxes * boxChannels(g),
    (s) => {
      // The best LISTED: a detector's post-processing keeps hundreds (torchvision: 300).
      const dets = detect(s, g);
      const listed = dets.slice(0, LISTED).map(chosen);
      if (dets.length > LISTED) {
        const last = listed[LISTED - 1];
        listed[LISTED - 1] = {
          ...last,
          caption: `${last.caption} · … ${dets.length - LISTED} more (--box 0..${dets.length - 1})`,
        };
      }
      return listed;
    },
    (s) => {
      const dets = detect(s, g);
      if (!dets.length)
        throw cliError(
          `No box of output '${output.name}' scores ${threshold}: nothing is detected to explain`,
          { tensor: output.name },
          postprocess
            ? 'Check the preprocessing (the contract line: torchvision detectors take pixels / 255, --mean 0 --std 1), or the image'
            : 'Check --detect-format and the preprocessing (the contract line), or the image',
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
