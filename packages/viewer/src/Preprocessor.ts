/**
 * The model input in the page, under core's input contract (the CLI's packages/cli/src/
 * preprocess.ts does the same with sharp): the image is placed by core's `placement` (centre
 * crop, pad or stretch) and turned into the tensor by core's `tensorize`. When the image needs
 * no resampling, its pixels are copied, so the model sees exactly the CLI's numbers; otherwise
 * the browser's resampling stands in for sharp's.
 */
import { meanColor, placement, tensorize, type InputContract } from '@camanim/core';
import type { RgbImage } from './RgbImage.ts';

/** What the model sees (H×W, padding in the mean colour) and the input [1, C, H, W]. */
export function preprocessInPage(image: RgbImage, c: InputContract): { crop: RgbImage; data: Float32Array } {
  const [H, W] = c.size;
  const p = placement(image, c);
  const crop = image.placed(p, W, H, meanColor(c));
  return { crop, data: tensorize(crop.rgba, 4, c, p) };
}
