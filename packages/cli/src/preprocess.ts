/**
 * An image → the model input under its contract (core's contract/: placement, tensorize); the
 * resampling is sharp's (linear, as before), the rest is shared with the viewer.
 */
import sharp from 'sharp';
import { meanColor, placeRgb, placement, tensorize, type InputContract, type Placement } from '@camanim/core';
import type { RgbImage } from './image.ts';

export interface Preprocessed {
  /** The model input [1, C, H, W] (channels-first: a channels-last model runs behind camanim's adapter). */
  readonly data: Float32Array;
  readonly shape: readonly number[];
  /** What the model sees, before normalization: H·W·3 RGB bytes (padding in the mean colour). */
  readonly crop: Buffer;
  /** Where the image lies in the input. */
  readonly placement: Placement;
  /** Video models (clip.ts): every frame as the model sees it; `crop` is the first. */
  readonly frames?: readonly Buffer[];
}

async function resampled(image: RgbImage, p: Placement, kernel?: 'linear'): Promise<Uint8Array> {
  return sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(p.width, p.height, { fit: 'fill', ...(kernel ? { kernel } : {}) })
    .raw()
    .toBuffer();
}

export async function preprocess(image: RgbImage, c: InputContract): Promise<Preprocessed> {
  const [H, W] = c.size;
  const p = placement(image, c);
  const crop = Buffer.from(placeRgb(await resampled(image, p, 'linear'), p, W, H, meanColor(c)));
  return { data: tensorize(crop, 3, c, p), shape: [1, c.channels, H, W], crop, placement: p };
}

/** The same view at display size, RGB in 0..1, [h, w, 3] (sharper than upscaling the crop). */
export async function displayImage(image: RgbImage, c: InputContract, width: number, height: number): Promise<Float32Array> {
  const p = placement(image, c, width / c.size[1]);
  const rgb = placeRgb(await resampled(image, p), p, width, height, meanColor(c));
  const out = new Float32Array(width * height * 3);
  for (let i = 0; i < out.length; i++) out[i] = rgb[i] / 255;
  if (c.channels === 1) {
    for (let q = 0; q < width * height; q++)
      out[q * 3] = out[q * 3 + 1] = out[q * 3 + 2] = 0.299 * out[q * 3] + 0.587 * out[q * 3 + 1] + 0.114 * out[q * 3 + 2];
  }
  return out;
}
