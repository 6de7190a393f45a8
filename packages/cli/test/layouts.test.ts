/**
 * Channels-last 4-D tensors inside a channels-first model (ConvNeXt's permute → LayerNorm →
 * Linear → permute): explained with the channel axis where it is, not read as NCHW. A reduced
 * torchvision ConvNeXt (tools/convnext_reference.py), every map against float64 torch.autograd
 * Grad-CAM at its channels-last and NCHW tensors.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { camanim, scratch } from './helpers/cli.ts';
import { explainAtInputSize, FIXTURES, mapError, readReference, type ReferenceMap } from './helpers/references.ts';

const MODEL = join(FIXTURES, 'convnext-tiny.onnx');
const IMAGE = join(FIXTURES, 'image-32x32.png');

interface Reference {
  category: number;
  logits: number[];
  channelsLast: string[];
  layers: ReferenceMap[];
}

let ref: Reference;
let tmp: string;

beforeAll(() => {
  ref = readReference<Reference>('convnext-gradcam.json', 'ConvNeXt', 'convnext_reference.py');
  tmp = scratch('camanim-layouts-');
});

describe('channels-last intermediates', () => {
  it('are explained with their channel axis last, equal to the reference at NHWC and NCHW tensors', async () => {
    const out = join(tmp, 'convnext');
    const { manifest, maps } = await explainAtInputSize(MODEL, IMAGE, out);
    expect(manifest.target.class).toBe(ref.category);
    for (const want of ref.layers) {
      const layer = manifest.cams[0].layers.find((l) => l.name === want.name);
      expect(layer, want.name).toBeDefined();
      // [N, H, W, C] in the model; a map of H×W here, as for its NCHW neighbours.
      expect(layer!.mapShape, want.name).toEqual(want.shape);
      const got = await maps(manifest.cams[0], layer!, 'layer');
      const { worst, scale } = mapError(got, want);
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
