/**
 * Swin Transformer as torch.onnx writes it (tools/swin_reference.py): the shifted-window masks
 * built from constants (Mod, Equal, Where, ScatterND, Not) fold at load time, the attention
 * dropout's float-typed mask output is read as the identity's, and the channels-last stage
 * outputs [N, H, W, C] are explained on their H×W grid with the channel axis last: every map
 * against float64 torch.autograd Grad-CAM with pytorch-grad-cam's Swin reshape_transform.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { scratch } from './helpers/cli.ts';
import { explainAtInputSize, FIXTURES, mapError, readReference, type ReferenceMap } from './helpers/references.ts';

const MODEL = join(FIXTURES, 'swin-tiny.onnx');
const IMAGE = join(FIXTURES, 'image-32x32.png');

interface Reference {
  category: number;
  logits: number[];
  layers: ReferenceMap[];
}

let ref: Reference;
let tmp: string;

beforeAll(() => {
  ref = readReference<Reference>('swin-gradcam.json', 'Swin', 'swin_reference.py');
  tmp = scratch('camanim-swin-');
});

describe('Swin Transformer', () => {
  it("explains the channels-last stages on their grid, equal to pytorch-grad-cam's reshape_transform", async () => {
    const { manifest, maps } = await explainAtInputSize(MODEL, IMAGE, join(tmp, 'swin'));
    expect(manifest.target.class).toBe(ref.category);
    for (const want of ref.layers) {
      const layer = manifest.cams[0].layers.find((l) => l.name === want.name);
      expect(layer, want.name).toBeDefined();
      expect(layer!.mapShape, want.name).toEqual(want.shape);
      const { worst, scale } = mapError(await maps(manifest.cams[0], layer!, 'layer'), want);
      expect(worst / scale, want.name).toBeLessThan(TOL);
    }
  });
});

/** float32 against float64: measured ≤ 4.2e-7 of the map's largest value (stage 2's last block). */
const TOL = 1e-6;
