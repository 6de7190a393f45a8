/**
 * Channels-last 4-D tensors inside a channels-first model, explained with the channel axis where
 * it is, not read as NCHW, every map against float64 torch.autograd Grad-CAM written from
 * pytorch-grad-cam's definitions with a user's reshape_transform:
 * - a reduced torchvision ConvNeXt (tools/convnext_reference.py: permute → LayerNorm → Linear →
 *   permute), at its channels-last and NCHW tensors;
 * - a reduced torchvision Swin Transformer as torch.onnx writes it (tools/swin_reference.py): the
 *   shifted-window masks built from constants fold at load time, the attention dropout's unread
 *   float-typed mask is no layer, and the stages stay channels-last through patch merging
 *   (Slice, Concat, Pad), with the library's Swin reshape_transform.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { camanim, scratch } from './helpers/cli.ts';
import { type ClassifierReference, expectReferenceMaps, FIXTURES, readReference } from './helpers/references.ts';

let convnext: ClassifierReference & { channelsLast: string[] };
let swin: ClassifierReference;
let tmp: string;

beforeAll(() => {
  convnext = readReference('convnext-gradcam.json', 'ConvNeXt', 'convnext_reference.py');
  swin = readReference('swin-gradcam.json', 'Swin', 'swin_reference.py');
  tmp = scratch('camanim-layouts-');
});

describe('channels-last intermediates', () => {
  // float32 against float64: measured ≤ 3.4e-7 of the map's largest value (ConvNeXt block.3's Linear).
  it('are explained with their channel axis last, equal to the reference at NHWC and NCHW tensors', () =>
    expectReferenceMaps('convnext-tiny.onnx', convnext, join(tmp, 'convnext'), 7e-7));

  it('camanim layers says which tensors are channels-last', async () => {
    const r = await camanim(['layers', join(FIXTURES, 'convnext-tiny.onnx'), '--input-size', '32x32']);
    expect(r.code).toBe(0);
    for (const name of convnext.channelsLast)
      expect(
        r.out.split('\n').find((l) => l.includes(` ${name} `)),
        name,
      ).toMatch(/spatial, NHWC$/);
  });

  // Measured ≤ 4.2e-7 of the map's largest value (stage 2's last block).
  it("Swin's stages, as torch.onnx writes them, equal to pytorch-grad-cam's Swin reshape_transform", () =>
    expectReferenceMaps('swin-tiny.onnx', swin, join(tmp, 'swin'), 1e-6));
});
