/**
 * `--task segment`: an [N, K, H, W] output explained with pytorch-grad-cam's
 * SemanticSegmentationTarget (the class's scores summed over the pixels predicted as it), every
 * layer's Grad-CAM against a float64 torch.autograd reference written from the library's
 * definitions (tools/segment_reference.py), and the refusals around it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readBundle } from '../src/bundle.ts';
import { camanim, scratch } from './helpers/cli.ts';
import { FIXTURES, mapError, readReference, type ReferenceMap } from './helpers/references.ts';

const MODEL = join(FIXTURES, 'segment.onnx');
const IMAGE = join(FIXTURES, 'image-48x192.png');
const NORM = ['--mean', '0.5', '--std', '0.5'];

interface Reference {
  category: number;
  maskPixels: number;
  areas: number[];
  score: number;
  layers: ReferenceMap[];
}

let ref: Reference;
let tmp: string;
let runs = 0;
const explain = (args: string[]) => {
  const out = join(tmp, `out-${runs++}`);
  return camanim(['explain', '--model', MODEL, '--image', IMAGE, '--out', out, '--format', 'bundle', ...NORM, ...args]).then(
    (r) => ({ ...r, out }),
  );
};

beforeAll(() => {
  ref = readReference<Reference>('segment-gradcam.json', 'segmentation', 'segment_reference.py');
  tmp = scratch('camanim-segment-');
});

describe('--task segment', () => {
  it("explains the largest predicted class with SemanticSegmentationTarget: every layer's Grad-CAM equals the float64 reference", async () => {
    const r = await explain(['--task', 'segment']);
    expect(r.code).toBe(0);
    expect(r.err).toContain("output 'out' [1, 10, 48, 192], 10 classes per pixel (segmentation), scores");
    const share = ((100 * ref.maskPixels) / (48 * 192)).toFixed(1);
    expect(r.err).toContain(`image-48x192: class ${ref.category} ${share}% of pixels · `);
    const { manifest, maps } = await readBundle(join(r.out, 'image-48x192', 'bundle'));
    expect(manifest.contract.output.task).toBe('segment');
    expect(manifest.target.class).toBe(ref.category);
    // The viewer's wording of the target is the frames': the class's share of the pixels.
    expect(manifest.cams[0].target.caption).toMatch(new RegExp(`^class ${ref.category} · ${share}% of pixels · Σ score `));
    // The target's value: float32 scores summed against float64, measured 3.2e-8 relative.
    expect(Math.abs(manifest.score - ref.score) / ref.score).toBeLessThan(1e-7);
    const cam = manifest.cams[0];
    expect(cam.layers.map((l) => l.name)).toEqual([...ref.layers.map((l) => l.name), 'out']);
    for (const want of ref.layers) {
      const layer = cam.layers.find((l) => l.name === want.name)!;
      expect(layer.mapShape).toEqual(want.shape);
      const got = await maps(cam, layer, 'layer');
      const { worst, scale } = mapError(got, want);
      // float32 forward and backward against float64: measured ≤ 5.4e-7 of the map's largest value (relu1).
      expect(worst / scale, want.name).toBeLessThan(1.1e-6);
    }
  });

  it('explains a given class, and refuses one with no pixel, naming the classes that appear', async () => {
    const seventh = await explain(['--task', 'segment', '--class', '7']);
    expect(seventh.code).toBe(0);
    const empty = ref.areas.indexOf(0);
    const r = await explain(['--task', 'segment', '--class', String(empty)]);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain(`No pixel is predicted as class ${empty}: its mask is empty and every CAM would be 0`);
    expect(r.err).toContain(`class ${ref.category}) ${((100 * ref.maskPixels) / (48 * 192)).toFixed(1)}%`);
    expect(existsSync(r.out)).toBe(false);
  });

  it('is refused where it does not apply, saying what to do', async () => {
    const plain = await explain([]);
    expect(plain.err).toContain('Explain it as segmentation with --task segment');
    const classifier = await camanim([
      'explain',
      '--model',
      join(FIXTURES, 'base-fixed.onnx'),
      '--image',
      IMAGE,
      '--out',
      join(tmp, 'c'),
      ...NORM,
      '--task',
      'segment',
    ]);
    expect(classifier.err).toContain("--task segment needs an [N, K, H, W] map of class scores; output 'logits' is [1, 10]");
    const road = await explain(['--task', 'segment', '--ybroad']);
    expect(road.err).toContain('--ybroad does not apply to --task segment yet');
    const softmax = await explain(['--task', 'segment', '--target', 'softmax']);
    expect(softmax.err).toContain('--target softmax does not apply to --task segment');
  });
});
