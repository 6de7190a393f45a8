/**
 * torchvision's SSDlite as torch.onnx exports it (reduced: tools/ssdlite_reference.py), its
 * post-processing (NonZero, TopK, NonMaxSuppression in an If) in the graph: camanim cuts it off,
 * explains the boxes and scores it reads, runs it on the host, and `explain --task detect --box i`
 * gives the box-score target's Grad-CAM per layer. Held to float64 torch references: the pre-NMS
 * tensors (forward parity; the script checks onnxruntime-node against torch too), the detections
 * of torchvision's own postprocess, and the maps at five layers for detections 0 and 1.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractModel, detect, loadGraph, resolveInputContract, type Model } from '@camanim/core';
import { readBundle } from '../src/bundle.ts';
import { camanim, scratch } from './helpers/cli.ts';
import { bundleMap, detectionErrors, detectorInput, expectLayerMaps, type DetectionReference } from './helpers/detection.ts';
import { FIXTURES, readReference } from './helpers/references.ts';

const DETECT = join(FIXTURES, '..', 'detect');
const MODEL = join(DETECT, 'ssdlite.onnx');
const IMAGE = join(DETECT, 'image-128x128.png');
const NORM = ['--mean', '0', '--std', '1'];

interface Reference extends DetectionReference {
  postprocess: { scoreThreshold: number; nmsIou: number; topK: number; detections: number };
  tensors: { boxes: string; scores: string };
  boxes: number[];
  scores: number[];
}

// float32 on SwiftShader against float64 torch, measured: boxes ≤ 1.8e-5 (pixels, of 128),
// scores ≤ 3.9e-7; the first 10 detections' scores ≤ 1.5e-7, corners ≤ 7.9e-6; the targets'
// values ≤ 1.0e-7 relative; the maps ≤ 2.4e-6 of their largest |value| (box 0), 1.4e-6 (box 1).
// Both boxes come from the first feature level's anchors: the maps of features.1 and extra.0 are 0.
const BOX_TOL = 2e-4;
const SCORE_TOL = 2e-6;
const VALUE_TOL = 1e-6;
const MAP_TOL = 1e-5;

let ref: Reference;
let tmp: string;
let model: Model;
let row: Float32Array;

beforeAll(async () => {
  ref = readReference<Reference>(join('..', 'detect', 'ssdlite-reference.json'), 'SSDlite detection', 'ssdlite_reference.py');
  tmp = scratch('camanim-ssdlite-');
  const graph = await loadGraph(MODEL);
  const input = resolveInputContract(graph, [{ from: 'test', request: { mean: [0], std: [1] } }]);
  model = await contractModel(graph, input, { task: 'detect' });
  const S = ref.size;
  using run = await model.run({ data: await detectorInput(IMAGE), shape: [1, 3, S, S] });
  row = (await run.read(model.graph.outputs[0].name)).data.slice();
}, 120_000);

afterAll(() => model?.dispose());

describe('SSDlite exported with its post-processing (torchvision)', () => {
  it('reads the pre-NMS boxes and scores and the post-processing settings from the graph', () => {
    const o = model.contract!.output;
    expect(o.shape).toEqual([1, ref.boxes.length / 4, 4 + ref.classes]);
    const p = o.detect!.postprocess!;
    expect([p.boxes, p.scores]).toEqual([ref.tensors.boxes, ref.tensors.scores]);
    expect(p.classes).toEqual([1, 2, 3, 4]);
    expect(Math.fround(p.scoreThreshold)).toBe(Math.fround(ref.postprocess.scoreThreshold));
    expect(Math.fround(p.iou)).toBe(Math.fround(ref.postprocess.nmsIou));
    expect([p.topK, p.maxDetections]).toEqual([ref.postprocess.topK, ref.postprocess.detections]);
    // The post-processing is not loaded: no data-dependent op is left.
    expect(model.graph.nodes.filter((n) => ['NonZero', 'TopK', 'NonMaxSuppression', 'If'].includes(n.opType))).toEqual([]);
  });

  it('computes the boxes and scores as torch does (forward parity)', () => {
    const K = ref.classes;
    let [boxErr, scoreErr] = [0, 0];
    for (let a = 0; a < ref.boxes.length / 4; a++) {
      for (let c = 0; c < 4; c++) boxErr = Math.max(boxErr, Math.abs(row[a * (4 + K) + c] - ref.boxes[4 * a + c]));
      for (let k = 0; k < K; k++) scoreErr = Math.max(scoreErr, Math.abs(row[a * (4 + K) + 4 + k] - ref.scores[K * a + k]));
    }
    expect(boxErr).toBeLessThan(BOX_TOL);
    expect(scoreErr).toBeLessThan(SCORE_TOL);
  });

  it("chooses the boxes torchvision's postprocess_detections does", () => {
    const d = model.contract!.output.detect!;
    const dets = detect(row, {
      format: d.format,
      boxes: d.boxes,
      classes: model.contract!.output.classes,
      postprocess: d.postprocess,
    });
    const e = detectionErrors(dets, ref);
    expect(e.score).toBeLessThan(SCORE_TOL);
    expect(e.box).toBeLessThan(BOX_TOL);
  });
});

describe('camanim explain --task detect on SSDlite', () => {
  it.each([0, 1])(
    'explains box %i with the box-score target, per layer as the float64 reference',
    async (box) => {
      const want = ref.targets[box];
      const out = join(tmp, `box-${box}`);
      const r = await camanim([
        'explain',
        '--model',
        MODEL,
        '--image',
        IMAGE,
        ...NORM,
        '--task',
        'detect',
        '--box',
        String(box),
        '--layers',
        'all',
        '--out',
        out,
        '--format',
        'bundle',
      ]);
      expect(r.code, r.err).toBe(0);
      expect(r.err).toContain("the boxes and scores the graph's post-processing reads");
      expect(r.err).toContain('score > 0.001, top 300 per class, NMS IoU 0.55, 300 kept');
      const b = await readBundle(join(out, 'image-128x128', 'bundle'));
      const cam = b.manifest.cams[0];
      expect(cam.target.class).toBe(want.label);
      // Which box, in the bundle as in the frames (the viewer's caption).
      expect(cam.target.caption).toMatch(new RegExp(`^box #${box} .* ${want.score.toFixed(3)} · Σ scores `));
      expect(Math.abs(cam.score - want.value) / want.value).toBeLessThan(VALUE_TOL);
      await expectLayerMaps(want.layers, bundleMap(b, cam), MAP_TOL);
    },
    120_000,
  );

  it('refuses it as a classifier, naming --task detect, and a --detect-boxes the graph lacks', async () => {
    const args = ['explain', '--model', MODEL, '--image', IMAGE, ...NORM, '--out', join(tmp, 'refused')];
    const classify = await camanim(args);
    expect(classify.code).not.toBe(0);
    expect(classify.err).toContain("continues past its head into a detector's post-processing");
    expect(classify.err).toContain('--task detect');
    const named = await camanim([...args, '--task', 'detect', '--detect-boxes', 'nope', '--detect-scores', ref.tensors.scores]);
    expect(named.code).not.toBe(0);
    expect(named.err).toContain("--detect-boxes names 'nope', which the graph before its post-processing does not compute");
  });
});
