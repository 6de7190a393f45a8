/**
 * Pixels the model sees (H×W, RGB or RGBA bytes, already placed: placement.ts) → the input
 * tensor [1, C, H, W] under the contract: channel order, scale, mean/std, luma (ITU-R 601-2, as
 * PIL's convert('L')) for one channel. Padding (outside `content`) is 0 after normalization, as
 * PaddleOCR pads. Always channels-first: a channels-last model runs behind camanim's adapter.
 */
import type { InputContract } from './input-contract.ts';
import type { Placement } from './placement.ts';

export type TensorContract = Pick<InputContract, 'size' | 'channels' | 'order' | 'scale' | 'mean' | 'std'>;

export function tensorize(pixels: ArrayLike<number>, bytesPerPixel: 3 | 4, c: TensorContract, content?: Placement): Float32Array {
  const [H, W] = c.size;
  const C = c.channels;
  const k = c.scale === 255 ? 1 : 1 / 255;
  const data = new Float32Array(C * H * W);
  // mean/std are in R, G, B order; BGR models get channel 0 from blue.
  const rgbIndex = (ch: number) => (C === 3 && c.order === 'BGR' ? 2 - ch : ch);
  const inside = (x: number, y: number) =>
    !content || (x >= content.x && x < content.x + content.width && y >= content.y && y < content.y + content.height);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = y * W + x;
      if (!inside(x, y)) continue;
      const r = pixels[p * bytesPerPixel] * k;
      const g = pixels[p * bytesPerPixel + 1] * k;
      const b = pixels[p * bytesPerPixel + 2] * k;
      if (C === 1) {
        data[p] = (0.299 * r + 0.587 * g + 0.114 * b - c.mean[0]) / c.std[0];
        continue;
      }
      const px = [r, g, b];
      for (let ch = 0; ch < 3; ch++) {
        const i = rgbIndex(ch);
        data[ch * H * W + p] = (px[i] - c.mean[i]) / c.std[i];
      }
    }
  }
  return data;
}

/** The colour that normalizes to 0 (the mean), as 0..255 RGB: what padding looks like. */
export function meanColor(c: Pick<InputContract, 'channels' | 'scale' | 'mean'>): number[] {
  const k = c.scale === 255 ? 1 : 255;
  const rgb = c.channels === 1 ? [c.mean[0], c.mean[0], c.mean[0]] : c.mean;
  return rgb.map((m) => Math.max(0, Math.min(255, Math.round(m * k))));
}
