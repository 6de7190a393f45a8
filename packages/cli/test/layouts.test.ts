/**
 * Channels-last 4-D tensors inside a channels-first model (ConvNeXt's permute → LayerNorm →
 * Linear → permute): explained with the channel axis where it is, not read as NCHW. A reduced
 * torchvision ConvNeXt (tools/convnext_reference.py), every map against float64 torch.autograd
 * Grad-CAM at its channels-last and NCHW tensors.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readBundle } from '../src/bundle.ts';
import { camanim, scratch } from './helpers/cli.ts';

const FIXTURES = resolve(import.meta.dirname, 'fixtures/contract');
const MODEL = join(FIXTURES, 'convnext-tiny.onnx');
const IMAGE = join(FIXTURES, 'image-32x32.png');

interface Reference {
  category: number;
  logits: number[];
  channelsLast: string[];
  layers: { name: string; shape: [number, number]; raw: number[] }[];
}

let ref: Reference;
let tmp: string;

beforeAll(() => {
  const file = join(FIXTURES, 'convnext-gradcam.json');
  if (!existsSync(file)) throw new Error(`The ConvNeXt reference is missing (${file}); make it with: /usr/bin/python3 tools/convnext_reference.py`);
  ref = JSON.parse(readFileSync(file, 'utf8'));
  tmp = scratch('camanim-layouts-');
});

describe('channels-last intermediates', () => {
  it('are explained with their channel axis last, equal to the reference at NHWC and NCHW tensors', async () => {
    const out = join(tmp, 'convnext');
    // stretch: the image is the input's size, so no resampling
    const r = await camanim(['explain', '--model', MODEL, '--image', IMAGE, '--preset', 'imagenet', '--resize', 'stretch', '--out', out, '--format', 'bundle', '--quiet']);
    expect(r.err).toBe('');
    const { manifest, maps } = await readBundle(join(out, 'image-32x32', 'bundle'));
    expect(manifest.target.class).toBe(ref.category);
    for (const want of ref.layers) {
      const layer = manifest.cams[0].layers.find((l) => l.name === want.name);
      expect(layer, want.name).toBeDefined();
      // [N, H, W, C] in the model; a map of H×W here, as for its NCHW neighbours.
      expect(layer!.mapShape, want.name).toEqual(want.shape);
      const got = await maps(manifest.cams[0], layer!, 'layer');
      const scale = Math.max(...want.raw.map(Math.abs));
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want.raw[i]));
      expect(worst / scale, want.name).toBeLessThan(TOL);
    }
  });

  it('camanim layers says which tensors are channels-last', async () => {
    const r = await camanim(['layers', MODEL, '--input-size', '32x32']);
    expect(r.code).toBe(0);
    for (const name of ref.channelsLast) expect(r.out.split('\n').find((l) => l.includes(` ${name} `)), name).toMatch(/spatial, NHWC$/);
  });
});

/** float32 against float64: measured ≤ 3.4e-7 of the map's largest value (block.3's Linear). */
const TOL = 7e-7;
