/**
 * torchvision's Faster R-CNN as torch.onnx exports it (reduced: tools/fasterrcnn_reference.py,
 * opset 15: at 16–17 torchvision's RoiAlign export is half_pixel, not torch's, the script
 * measures it). Stage 1: camanim cuts the graph at the RPN's objectness and decoded proposals
 * (core's rpnHead), reads filter_proposals' settings from the graph, runs the backbone, FPN and
 * RPN head on the GPU, and chooses the proposals on the host (rpnProposals). Held to float64
 * torch: the RPN outputs (the script checks onnxruntime-node against torch too) and torchvision's
 * own proposals.
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  adaptInput,
  defaultRegistry,
  isTwoStage,
  loadGraph,
  modelFromGraph,
  resolveInputContract,
  rpnHead,
  rpnProposals,
  type Model,
  type RpnHead,
} from '@camanim/core';
import { FIXTURES, readReference } from './helpers/references.ts';

const DETECT = join(FIXTURES, '..', 'detect');
const MODEL = join(DETECT, 'fasterrcnn.onnx');
const IMAGE = join(DETECT, 'image-160x160.png');

interface Reference {
  size: number;
  rpn: { preNmsTopN: number; postNmsTopN: number; nmsThresh: number; minSize: number; scoreThresh: number; levels: number[] };
  tensors: { objectness: string; proposals: string };
  objectness: number[];
  proposals: number[];
  rpnBoxes: number[];
  rpnScores: number[];
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
  const { data } = await sharp(IMAGE).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const S = ref.size;
  const x = new Float32Array(3 * S * S);
  for (let i = 0; i < S * S; i++) for (let c = 0; c < 3; c++) x[c * S * S + i] = data[3 * i + c] / 255;
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
