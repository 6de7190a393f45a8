/**
 * Guided Backpropagation and Guided Grad-CAM as images (explain --method guided-gradcam):
 * guided-backprop.png, and per layer guided-gradcam-frames/<k>-<layer>.png, at the model input's
 * size, as pytorch-grad-cam's cam.py writes them (deprocess_image of the guided gradient, alone and
 * times each layer's Grad-CAM map).
 */
import { deprocessImage, pytorchGradCamMap, type GuidedGradient } from '@camanim/cam-methods';
import { sanitizeName } from './staging.ts';
import { encodePng } from './image.ts';
import type { Explanation, RenderContext } from './render.ts';

export async function writeGuidedImages(ctx: RenderContext, ex: Explanation, guided: GuidedGradient): Promise<void> {
  const [, H, W, c] = guided.shape;
  const gb = guided.data.subarray(0, H * W * c);
  // One channel (a grayscale model) is written grey; otherwise the first three as RGB.
  const png = (v: Uint8Array) =>
    encodePng(
      Uint8Array.from({ length: H * W * 3 }, (_, i) => v[Math.floor(i / 3) * c + (c === 1 ? 0 : i % 3)]),
      W,
      H,
      3,
    );
  ctx.written.push(await ctx.staging.write([ctx.dir, `${ex.stem}-guided-backprop.png`], await png(deprocessImage(gb, c))));
  const digits = Math.max(3, String(ex.stack.layers.length).length);
  for (const [k, l] of ex.stack.layers.entries()) {
    const map = pytorchGradCamMap(l.raw.subarray(0, l.shape[2] * l.shape[3]), l.shape[2], l.shape[3], H, W);
    const name = `${String(k + 1).padStart(digits, '0')}-${sanitizeName(l.name, 60)}.png`;
    ctx.written.push(await ctx.staging.write([ctx.dir, `${ex.stem}-frames-guided`, name], await png(deprocessImage(gb, c, map))));
  }
}
