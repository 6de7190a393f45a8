/**
 * The CLI's colormaps (tables from @camanim/shaders) and their CPU painter, used where the
 * WebGPU kernel is not: the 2D frame beside the stack, the colorbar, and the WebGL fallback.
 * One pixel is what packages/shaders' colormap kernel computes: after ReLU,
 * v = (x − min)/(max − min + 1e-7) (normalizeMaps), colour = LUT[⌊255·clamp(v, 0, 1)⌋],
 * pixel = round(alpha·colour + (1 − alpha)·image).
 */
import { COLORMAP_LUTS, colormapNames, type ColormapName } from '@camanim/shaders';

export interface PaintStyle {
  readonly colormap: ColormapName;
  /** Weight of the colour over the image; 1 shows the map alone. */
  readonly alpha: number;
  readonly overlay: boolean;
}

export class Colormap {
  static readonly names: readonly ColormapName[] = colormapNames;

  /** 256 entries, 0xBBGGRR. */
  static lut(name: ColormapName): Uint32Array {
    const table = COLORMAP_LUTS[name] ?? COLORMAP_LUTS.jet;
    return Uint32Array.from(table);
  }

  static isName(name: string): name is ColormapName {
    return (colormapNames as readonly string[]).includes(name);
  }

  /**
   * Paints a [srcH·srcW] map (bilinear, half-pixel centres, clamped edges) at dstW×dstH into
   * `out` (rgba), over `image` (rgba at dstW×dstH) when the style overlays.
   */
  static paint(
    map: Float32Array,
    srcW: number,
    srcH: number,
    r: { min: number; max: number },
    style: PaintStyle,
    image: Uint8ClampedArray | undefined,
    dstW: number,
    dstH: number,
    out: Uint8ClampedArray,
    outStride = dstW,
    outX = 0,
    outY = 0,
  ): void {
    const lut = COLORMAP_LUTS[style.colormap] ?? COLORMAP_LUTS.jet;
    const scale = 1 / (r.max - r.min + 1e-7);
    const alpha = style.overlay && image ? style.alpha : 1;
    const same = srcW === dstW && srcH === dstH;
    for (let y = 0; y < dstH; y++) {
      const fy = Math.min(Math.max((y + 0.5) * (srcH / dstH) - 0.5, 0), srcH - 1);
      const y0 = Math.floor(fy);
      const y1 = Math.min(y0 + 1, srcH - 1);
      const ty = fy - y0;
      for (let x = 0; x < dstW; x++) {
        let v: number;
        if (same) {
          v = map[y * srcW + x];
        } else {
          const fx = Math.min(Math.max((x + 0.5) * (srcW / dstW) - 0.5, 0), srcW - 1);
          const x0 = Math.floor(fx);
          const x1 = Math.min(x0 + 1, srcW - 1);
          const tx = fx - x0;
          const top = map[y0 * srcW + x0] + (map[y0 * srcW + x1] - map[y0 * srcW + x0]) * tx;
          const bottom = map[y1 * srcW + x0] + (map[y1 * srcW + x1] - map[y1 * srcW + x0]) * tx;
          v = top + (bottom - top) * ty;
        }
        const n = ((v > 0 ? v : 0) - r.min) * scale;
        const c = lut[Math.min(Math.floor((n < 0 ? 0 : n > 1 ? 1 : n) * 255), 255)];
        const o = ((outY + y) * outStride + outX + x) * 4;
        const p = (y * dstW + x) * 4;
        const im = alpha < 1 && image ? image : undefined;
        out[o] = Math.round(alpha * (c & 0xff) + (im ? (1 - alpha) * im[p] : 0));
        out[o + 1] = Math.round(alpha * ((c >> 8) & 0xff) + (im ? (1 - alpha) * im[p + 1] : 0));
        out[o + 2] = Math.round(alpha * ((c >> 16) & 0xff) + (im ? (1 - alpha) * im[p + 2] : 0));
        out[o + 3] = 255;
      }
    }
  }

  /** A vertical colorbar (top = 1) as rgba. */
  static bar(name: ColormapName, width: number, height: number): ImageData {
    const lut = COLORMAP_LUTS[name] ?? COLORMAP_LUTS.jet;
    const data = new Uint8ClampedArray(width * height * 4);
    for (let y = 0; y < height; y++) {
      const c = lut[Math.min(255, Math.floor((1 - y / Math.max(1, height - 1)) * 255))];
      for (let x = 0; x < width; x++) {
        const o = (y * width + x) * 4;
        data[o] = c & 0xff;
        data[o + 1] = (c >> 8) & 0xff;
        data[o + 2] = (c >> 16) & 0xff;
        data[o + 3] = 255;
      }
    }
    return new ImageData(data, width, height);
  }
}
