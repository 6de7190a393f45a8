/**
 * Where an image lands in the model input under the contract's resize policy: it is resampled
 * to `width`×`height` and its top-left corner put at (`x`, `y`) of the H×W input (negative: that
 * much is cropped away). The CLI resamples with sharp, the viewer with a canvas; both place the
 * result with these numbers. `zoom` gives the same placement at a display size (zoom × W wide).
 *
 * crop: torchvision's Resize(shorter side = min(H, W) / cropFraction) + CenterCrop(H, W);
 * pad: fit inside, keep the aspect, pad (centred, or at the start as PaddleOCR does);
 * stretch: resize to H×W exactly.
 */
import type { InputContract } from './input-contract.ts';

export interface Placement {
  readonly width: number;
  readonly height: number;
  readonly x: number;
  readonly y: number;
}

export type PlacementContract = Pick<InputContract, 'size' | 'resize' | 'cropFraction' | 'align'>;

export function placement(image: { readonly width: number; readonly height: number }, c: PlacementContract, zoom = 1): Placement {
  const [H, W] = c.size;
  const [fw, fh] = [Math.round(W * zoom), Math.round(H * zoom)];
  if (c.resize === 'stretch') return { width: fw, height: fh, x: 0, y: 0 };
  if (c.resize === 'pad') {
    const s = Math.min(H / image.height, W / image.width) * zoom;
    const width = Math.min(fw, Math.max(1, Math.round(image.width * s)));
    const height = Math.min(fh, Math.max(1, Math.round(image.height * s)));
    return c.align === 'start'
      ? { width, height, x: 0, y: 0 }
      : { width, height, x: Math.round((fw - width) / 2), y: Math.round((fh - height) / 2) };
  }
  const shorter = Math.round(Math.min(H, W) / c.cropFraction);
  const s = Math.max(shorter / Math.min(image.width, image.height), H / image.height, W / image.width) * zoom;
  const width = Math.max(fw, Math.floor(image.width * s));
  const height = Math.max(fh, Math.floor(image.height * s));
  return { width, height, x: 0 - Math.round((width - W * zoom) / 2), y: 0 - Math.round((height - H * zoom) / 2) };
}

/** A notice when a defaulted centre crop cuts away more than 2% of the image's aspect. */
export function cropNotice(
  image: { readonly width: number; readonly height: number },
  c: InputContract,
  name: string,
): string | undefined {
  if (c.resize !== 'crop' || !c.sources.resize.startsWith('default')) return undefined;
  const [H, W] = c.size;
  const ratio = image.width / image.height / (W / H);
  if (Math.abs(Math.log(ratio)) < Math.log(1.02)) return undefined;
  return `notice: ${name} is ${image.width}×${image.height}, the model input ${H}×${W} (H×W): centre-cropped to the input's aspect; pass --resize pad or --resize stretch to keep the whole image`;
}

/** Copies `scaled` (its placement's width×height, 3 bytes a pixel) into a `frameW`×`frameH` frame; the rest is `fill`. */
export function placeRgb(scaled: Uint8Array, p: Placement, frameW: number, frameH: number, fill: readonly number[]): Uint8Array {
  const out = new Uint8Array(frameW * frameH * 3);
  for (let i = 0; i < frameW * frameH; i++) out.set(fill, i * 3);
  const x0 = Math.max(0, p.x);
  const x1 = Math.min(frameW, p.x + p.width);
  for (let y = Math.max(0, p.y); y < Math.min(frameH, p.y + p.height); y++) {
    const src = ((y - p.y) * p.width + (x0 - p.x)) * 3;
    out.set(scaled.subarray(src, src + (x1 - x0) * 3), (y * frameW + x0) * 3);
  }
  return out;
}
