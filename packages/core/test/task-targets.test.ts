/**
 * The task targets (CTC and per-step, cosine similarity, sigmoid, YOLO box score) and the host's
 * decode + NMS against float64 torch.autograd / torchvision references
 * (tools/task_targets_reference.py): values and seed gradients.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { boxScoreTarget } from '../src/autodiff/box-score-target.ts';
import { detect, type DetectGeometry } from '../src/autodiff/detections.ts';
import { ctcTarget, greedyDecode, stepTarget } from '../src/autodiff/sequence-target.ts';
import { similarityTarget } from '../src/autodiff/similarity-target.ts';
import { seedGradient, type Target } from '../src/autodiff/targets.ts';
import type { DetectFormat } from '../src/contract/task-layout.ts';

const FILE = join(import.meta.dirname, 'fixtures', 'task-targets.json');
if (!existsSync(FILE))
  throw new Error(
    `The task-target reference is missing (${FILE}); make it with: /usr/bin/python3 tools/task_targets_reference.py`,
  );
const ref = JSON.parse(readFileSync(FILE, 'utf8'));

interface Want {
  value: number;
  grad: number[];
}
/** The target's value and gradient on `row`, each against the reference: relative to the largest |value|. */
function expectTarget(target: Target, row: number[], want: Want, tol: number): void {
  const seed = seedGradient(target, Float32Array.from(row), [1, row.length], 'out');
  expect(Math.abs(seed.scores[0] - want.value)).toBeLessThan(tol * Math.max(1, Math.abs(want.value)));
  const scale = Math.max(...want.grad.map(Math.abs));
  let worst = 0;
  want.grad.forEach((g, i) => (worst = Math.max(worst, Math.abs(seed.grad[i] - g))));
  expect(worst / scale).toBeLessThan(tol);
}

describe('sequence targets', () => {
  const s = ref.sequence;
  const g = { steps: s.steps, classes: s.classes };
  it('greedy-decodes as the reference (argmax, repeats merged, blanks dropped)', () => {
    expect(greedyDecode(Float32Array.from(s.row), g, s.blank)).toEqual(s.decoded);
  });
  // The rows are float32 (the model's), the reference float64 on the same values: measured
  // ≤ 2.1e-8 (value) and 4.3e-8 (gradient) relative for CTC, 7e-9 and 0 for a step.
  it('the CTC log-probability of the greedy labels and of given labels with a repeat, and their gradients', () => {
    expectTarget(ctcTarget(s.decoded, g, s.blank), s.row, s.greedy, 4e-7);
    expectTarget(ctcTarget(s.given.labels, g, s.blank), s.row, s.given, 4e-7);
  });
  it("a step's class score", () => expectTarget(stepTarget(s.step.step, s.step.class, g), s.row, s.step, 1e-7));
  it('refuses labels the steps cannot hold, and the blank as a label', () => {
    expect(() =>
      seedGradient(ctcTarget(Array(s.steps).fill(2), g, 0), Float32Array.from(s.row), [1, s.row.length], 'out'),
    ).toThrow(/cannot be aligned to 12 steps under CTC/);
    expect(() => ctcTarget([0, 1], g, 0)).toThrow(/holds the blank \(class 0\)/);
    expect(() => stepTarget(12, 0, g)).toThrow(/Step 12 is out of range: the sequence has 12 steps/);
  });
});

describe('similarity and sigmoid targets', () => {
  // Measured ≤ 2.7e-8 relative (gradient; cosine and sigmoid).
  it("SimilarityToConceptTarget's cosine and its gradient", () =>
    expectTarget(similarityTarget(ref.similarity.reference), ref.similarity.row, ref.similarity, 3e-7));
  it('a multi-label class probability σ(z_c)', () =>
    expectTarget({ class: ref.sigmoid.class, kind: 'sigmoid' }, ref.sigmoid.row, ref.sigmoid, 3e-7));
});

describe('YOLO-style detections', () => {
  for (const c of ref.boxes as {
    format: DetectFormat;
    boxes: number;
    classes: number;
    row: number[];
    detections: { row: number; class: number; score: number; box: number[] }[];
    targets: (Want & { row: number })[];
  }[]) {
    const g: DetectGeometry = { format: c.format, boxes: c.boxes, classes: c.classes };
    it(`${c.format}: decode + NMS give torchvision's batched_nms detections`, () => {
      const got = detect(Float32Array.from(c.row), g);
      expect(got.map((d) => [d.row, d.class])).toEqual(c.detections.map((d) => [d.row, d.class]));
      got.forEach((d, i) => {
        expect(d.score).toBeCloseTo(c.detections[i].score, 6);
        d.box.forEach((v, k) => expect(v).toBeCloseTo(c.detections[i].box[k], 4));
      });
    });
    it(`${c.format}: the box-score target sums the matching candidates' scores, with their gradient`, () => {
      const dets = detect(Float32Array.from(c.row), g);
      expect(c.targets.some((t) => t.value > dets.find((d) => d.row === t.row)!.score + 1e-3)).toBe(true); // some match more than one box
      // Measured ≤ 3.9e-8 relative (value and gradient).
      for (const t of c.targets) expectTarget(boxScoreTarget(dets.find((d) => d.row === t.row)!, g), c.row, t, 4e-7);
    });
  }
});
