/**
 * torchvision's Faster R-CNN as torch.onnx exports it (reduced: tools/fasterrcnn_reference.py,
 * opset 15: at 16–17 torchvision's RoiAlign export is half_pixel, not torch's, the script
 * measures it). Stage 1: camanim cuts the graph at the RPN's objectness and decoded proposals
 * (core's rpnHead), reads filter_proposals' settings from the graph, runs the backbone, FPN and
 * RPN head on the GPU, and chooses the proposals on the host (rpnProposals). Stage 2
 * (twoStageDetector's second): the graph with those proposals as a constant, RoiAlign and the box
 * head on the GPU, explained at the rows the box post-processing reads; the host runs
 * torchvision's postprocess_detections, and the box-score target's Grad-CAM flows through the box
 * head and RoiAlign into the backbone. Held to float64 torch: the RPN outputs (the script checks
 * onnxruntime-node against torch too), torchvision's own proposals, the box head's logits, its
 * detections, and the maps at five layers for detections 0 and 1.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeCams } from '@camanim/cam-methods';
import {
  adaptInput,
  boxScoreTarget,
  contractModel,
  defaultRegistry,
  detect,
  isTwoStage,
  loadGraph,
  modelFromGraph,
  resolveInputContract,
  rpnHead,
  rpnProposals,
  twoStageDetector,
  type DetectGeometry,
  type Model,
  type RpnHead,
} from '@camanim/core';
import { readBundle } from '../src/bundle.ts';
import { camanim, scratch } from './helpers/cli.ts';
import { bundleMap, detectionErrors, detectorInput, expectLayerMaps, type DetectionReference } from './helpers/detection.ts';
import { FIXTURES, readReference } from './helpers/references.ts';

const DETECT = join(FIXTURES, '..', 'detect');
const MODEL = join(DETECT, 'fasterrcnn.onnx');
const IMAGE = join(DETECT, 'image-160x160.png');

interface Reference extends DetectionReference {
  rpn: { preNmsTopN: number; postNmsTopN: number; nmsThresh: number; minSize: number; scoreThresh: number; levels: number[] };
  tensors: { objectness: string; proposals: string };
  objectness: number[];
  proposals: number[];
  rpnBoxes: number[];
  rpnScores: number[];
  logits: number[];
  postprocess: { scoreThreshold: number; nmsIou: number; detections: number; minSize: number };
}

// float32 on SwiftShader against float64 torch, measured: objectness ≤ 4.2e-7, the 885 decoded
// proposals ≤ 1.2e-4 px (of 160; before clipping, exp of the deltas); torchvision's 150 proposals
// chosen, in its order, corners ≤ 2.1e-5 px, scores ≤ 1.1e-7.
const OBJECTNESS_TOL = 4e-6;
const PROPOSAL_TOL = 1e-3;
const BOX_TOL = 2e-4;
const SCORE_TOL = 1e-6;

let ref: Reference;
let head: RpnHead;
let model: Model;
let objectness: Float32Array;
let proposals: Float32Array;
let x: Float32Array;

beforeAll(async () => {
  ref = readReference<Reference>(
    join('..', 'detect', 'fasterrcnn-reference.json'),
    'Faster R-CNN detection',
    'fasterrcnn_reference.py',
  );
  const graph = await loadGraph(MODEL);
  const input = resolveInputContract(graph, [{ from: 'test', request: { mean: [0], std: [1] } }]);
  const { graph: adapted, shape } = adaptInput(graph, input);
  expect(isTwoStage(adapted)).toBe(true);
  head = rpnHead(adapted, shape, defaultRegistry);
  model = await modelFromGraph(head.graph, { inputShape: shape });
  const S = ref.size;
  x = await detectorInput(IMAGE);
  using run = await model.run({ data: x, shape: [1, 3, S, S] });
  objectness = (await run.read(head.objectness)).data.slice();
  proposals = (await run.read(head.proposals)).data.slice();
}, 120_000);

afterAll(() => model?.dispose());

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let e = 0;
  for (let i = 0; i < b.length; i++) e = Math.max(e, Math.abs(a[i] - b[i]));
  return e;
};

describe("Faster R-CNN's first stage (torchvision, exported with its post-processing)", () => {
  it('finds the RPN outputs and reads filter_proposals settings from the graph', () => {
    expect([head.objectness, head.proposals]).toEqual([ref.tensors.objectness, ref.tensors.proposals]);
    const s = head.settings;
    expect(s.levels).toEqual(ref.rpn.levels);
    expect(s.topK).toEqual(ref.rpn.levels.map((n) => Math.min(n, ref.rpn.preNmsTopN)));
    expect([s.width, s.height]).toEqual([ref.size, ref.size]);
    expect(Math.fround(s.minSize)).toBe(Math.fround(ref.rpn.minSize));
    expect(Math.fround(s.scoreThreshold)).toBe(Math.fround(ref.rpn.scoreThresh));
    expect(Math.fround(s.iou)).toBe(Math.fround(ref.rpn.nmsThresh));
    expect(s.keep).toBe(ref.rpn.postNmsTopN);
    // Neither the proposal filtering nor the second stage is loaded.
    expect(
      model.graph.nodes.filter((n) => ['NonZero', 'TopK', 'NonMaxSuppression', 'If', 'RoiAlign'].includes(n.opType)),
    ).toEqual([]);
  });

  it('computes the objectness and decoded proposals as torch does (forward parity)', () => {
    const [o, p] = [maxAbs(objectness, ref.objectness), maxAbs(proposals, ref.proposals)];
    expect(o).toBeLessThan(OBJECTNESS_TOL);
    expect(p).toBeLessThan(PROPOSAL_TOL);
  });

  it("chooses torchvision's proposals on the host", () => {
    const chosen = rpnProposals(objectness, proposals, head.settings);
    expect(chosen.length).toBe(ref.rpnScores.length);
    const boxes = chosen.flatMap((d) => d.box);
    const scores = chosen.map((d) => d.score);
    const [b, s] = [maxAbs(boxes, ref.rpnBoxes), maxAbs(scores, ref.rpnScores)];
    expect(b).toBeLessThan(BOX_TOL);
    expect(s).toBeLessThan(SCORE_TOL);
  });
});

// Stage 2, float32 on SwiftShader against float64 torch, measured: the box head's logits ≤ 4.4e-5;
// the 89 detections torchvision's (labels, order), the first 10's scores ≤ 6.0e-6, corners ≤ 4.0e-5
// px; the targets' values ≤ 2.2e-6 relative; the maps ≤ 6.1e-5 of their largest |value| (box 0 at
// body.0, whose gradient is small: 4.7e-4 at most), ≤ 2.1e-5 elsewhere.
const LOGIT_TOL = 4e-4;
const DET_SCORE_TOL = 5e-5;
const DET_BOX_TOL = 1e-3;
const VALUE_TOL = 2e-5;
const MAP_TOL = 5e-4;

describe("Faster R-CNN's second stage on the host's proposals", () => {
  it('runs RoiAlign and the box head as torch does, and detects what torchvision does; Grad-CAM of the box-score target per layer', async () => {
    const graph = await loadGraph(MODEL);
    const input = resolveInputContract(graph, [{ from: 'test', request: { mean: [0], std: [1] } }]);
    using detector = await twoStageDetector(graph, input, { task: 'detect' });
    const S = ref.size;
    const chosen = await detector.proposals({ data: x, shape: [1, 3, S, S] });
    expect(chosen.length).toBe(ref.rpnScores.length);
    using second = await detector.second(chosen);
    const o = second.contract!.output;
    const d = o.detect!;
    const p = d.postprocess!;
    expect([p.scoreThreshold, p.iou, p.minSize ?? Number.NaN].map(Math.fround)).toEqual(
      [ref.postprocess.scoreThreshold, ref.postprocess.nmsIou, ref.postprocess.minSize].map(Math.fround),
    );
    expect(p.maxDetections).toBe(ref.postprocess.detections);
    const K = ref.classes;
    expect(o.shape).toEqual([1, chosen.length * (K - 1), 5]);
    expect(p.labels!.slice(0, K - 1)).toEqual([1, 2, 3, 4]);
    using run = await second.run({ data: x, shape: [1, 3, S, S] }, { retain: 'all' });
    const logits = (await run.read('/roi_heads/box_predictor/cls_score/Gemm_output_0')).data;
    let logitErr = 0;
    for (let i = 0; i < ref.logits.length; i++) logitErr = Math.max(logitErr, Math.abs(logits[i] - ref.logits[i]));
    expect(logitErr).toBeLessThan(LOGIT_TOL);
    const row = (await run.read(o.name)).data;
    const g: DetectGeometry = { format: d.format, boxes: d.boxes, classes: o.classes, postprocess: p };
    const dets = detect(row, g);
    const e = detectionErrors(dets, ref);
    expect(e.score).toBeLessThan(DET_SCORE_TOL);
    expect(e.box).toBeLessThan(DET_BOX_TOL);
    // Box 0 here through the library, box 1 through the CLI below.
    for (const want of ref.targets.slice(0, 1)) {
      const target = boxScoreTarget(dets[want.box], g);
      const value = target.score(row).value;
      expect(Math.abs(value - want.value) / want.value).toBeLessThan(VALUE_TOL);
      const stack = await computeCams(run, { method: 'gradcam', target, layers: want.layers.map((l) => l.name) });
      await expectLayerMaps(want.layers, async (w) => stack.layers.find((l) => l.name === w.name)?.raw, MAP_TOL);
    }
  }, 300_000);
});

/** explain on the fixture as torchvision's detectors take it (pixels / 255, normalised in the graph), task detect. */
const EXPLAIN = ['explain', '--model', MODEL, '--image', IMAGE, '--mean', '0', '--std', '1', '--task', 'detect'];

describe('camanim explain --task detect on Faster R-CNN', () => {
  it('explains box 1 with the box-score target, per layer as the float64 reference', async () => {
    const want = ref.targets[1];
    const out = join(scratch('camanim-fasterrcnn-'), 'box-1');
    const r = await camanim([...EXPLAIN, '--box', '1', '--layers', 'all', '--out', out, '--format', 'bundle']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain("proposals: 150, chosen on the host as the graph's RPN does (top 150/150/135 per level");
    expect(r.err).toContain('classes 1,2,3,4, score > 0.05, sides ≥ 0.01, NMS IoU 0.5, 100 kept');
    const b = await readBundle(join(out, 'image-160x160', 'bundle'));
    const cam = b.manifest.cams[0];
    expect(cam.target.class).toBe(want.label);
    expect(Math.abs(cam.score - want.value) / want.value).toBeLessThan(VALUE_TOL);
    // The layers end where RoiAlign reads them: the box head's tensors are per proposal, no maps.
    expect(cam.layers.at(-1)!.name).toBe('/backbone/fpn/layer_blocks.0/layer_blocks.0.0/Conv_output_0');
    await expectLayerMaps(want.layers, bundleMap(b, cam), MAP_TOL);
  }, 120_000);

  it('refuses more than one image, and the graph as a single model', async () => {
    const two = await camanim([...EXPLAIN, '--image', IMAGE]);
    expect(two.code).not.toBe(0);
    expect(two.err).toContain('is explained one still image per command');
    const graph = await loadGraph(MODEL);
    const input = resolveInputContract(graph, [{ from: 'test', request: { mean: [0], std: [1] } }]);
    await expect(contractModel(graph, input, { task: 'detect' })).rejects.toThrow(
      /two-stage detector.*RoiAlign.*twoStageDetector/s,
    );
  });
});
