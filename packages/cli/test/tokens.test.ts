/**
 * Token layers: a reduced torchvision ViT (tools/vit_reference.py) is explained at its token
 * layers [N, 1 + 16, D] as 4×4 maps, pytorch-grad-cam's reshape_transform done automatically
 * (class token dropped, patch tokens on the grid of the patch embedding), every map against a
 * float64 torch.autograd Grad-CAM written from the library's definitions.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readBundle } from '../src/bundle.ts';
import { camanim, scratch } from './helpers/cli.ts';
import { explainAtInputSize, FIXTURES, mapError, readReference, type ReferenceMap } from './helpers/references.ts';

const MODEL = join(FIXTURES, 'vit-tiny.onnx');
const IMAGE = join(FIXTURES, 'image-32x32.png');

interface Reference {
  category: number;
  logits: number[];
  layers: ReferenceMap[];
}

let ref: Reference;
let tmp: string;

beforeAll(() => {
  ref = readReference<Reference>('vit-gradcam.json', 'ViT', 'vit_reference.py');
  tmp = scratch('camanim-tokens-');
});

describe('token layers of a vision transformer', () => {
  it("are explained on the patch grid, equal to pytorch-grad-cam's reshape_transform convention", async () => {
    const out = join(tmp, 'vit');
    const { manifest, maps } = await explainAtInputSize(MODEL, IMAGE, out);
    expect(manifest.target.class).toBe(ref.category);
    // float32 against float64 through two attention blocks: measured ≤ 2.9e-7.
    for (const p of manifest.prediction) expect(Math.abs(p.logit - ref.logits[p.class])).toBeLessThan(6e-7);
    const cam = manifest.cams[0];
    // Every block's tokens are a layer: far more than the one 4-D tensor (the patch embedding).
    expect(cam.layers.length).toBeGreaterThan(20);
    expect(cam.layers.every((l) => l.mapShape[0] === 4 && l.mapShape[1] === 4)).toBe(true);
    for (const want of ref.layers) {
      const layer = cam.layers.find((l) => l.name === want.name);
      expect(layer, want.name).toBeDefined();
      const got = await maps(cam, layer!, 'layer');
      expect(got.length).toBe(want.raw.length);
      const { worst, scale } = mapError(got, want);
      // After the last block only the class token reaches the head: the patch tokens' gradient is
      // exactly 0 there, in the reference as here (why pytorch-grad-cam explains blocks[-1].norm1).
      if (scale === 0) expect(worst, want.name).toBe(0);
      // measured ≤ 4.9e-7 of the map's largest value (encoder_layer_0/ln_1)
      else expect(worst / scale, want.name).toBeLessThan(1e-6);
    }
  });

  it('refuses the methods that re-run the model from a token layer, saying which work', async () => {
    const r = await camanim([
      'explain',
      '--model',
      MODEL,
      '--image',
      IMAGE,
      '--preset',
      'imagenet',
      '--method',
      'scorecam',
      '--layers',
      'ln_1',
      '--out',
      join(tmp, 'score'),
      '--quiet',
    ]);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain("CAM method 'scorecam' computes its maps from the layer itself");
    expect(r.err).toContain('Use a gradient method');
  });

  it('takes the grid and the prefix from the command line, as a reshape_transform would', async () => {
    const out = join(tmp, 'grid');
    const r = await camanim([
      'explain',
      '--model',
      MODEL,
      '--image',
      IMAGE,
      '--preset',
      'imagenet',
      '--token-grid',
      '2x8',
      '--prefix-tokens',
      '1',
      '--out',
      out,
      '--format',
      'bundle',
      '--quiet',
    ]);
    expect(r.err).toBe('');
    const { manifest } = await readBundle(join(out, 'image-32x32', 'bundle'));
    const tokens = manifest.cams[0].layers.filter((l) => l.name !== '/conv_proj/Conv_output_0');
    expect(tokens.length).toBeGreaterThan(20);
    expect(tokens.every((l) => l.mapShape[0] === 2 && l.mapShape[1] === 8)).toBe(true);
    const bad = await camanim([
      'explain',
      '--model',
      MODEL,
      '--image',
      IMAGE,
      '--preset',
      'imagenet',
      '--token-grid',
      'wide',
      '--out',
      join(tmp, 'bad'),
      '--quiet',
    ]);
    expect(bad.err).toContain("--token-grid expects HxW, got 'wide'");
  });
});
