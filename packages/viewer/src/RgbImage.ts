/**
 * An 8-bit RGBA image in the page. Decoding follows the CLI (packages/cli/src/image.ts):
 * no colour-space conversion, alpha flattened onto white, the first frame of an animation,
 * and the same pixel limit, checked from the header (an <img> loads the size only; pixels
 * are decoded by createImageBitmap) so that a decompression bomb is refused undecoded.
 */
import { ViewerError } from './ViewerError.ts';

/** As the CLI's default --max-pixels. */
export const MAX_PIXELS = 100_000_000;
const FORMAT_HINT = 'Use a PNG, JPEG, WebP or GIF file';

export class RgbImage {
  constructor(
    readonly width: number,
    readonly height: number,
    /** width·height·4 bytes, alpha 255. */
    readonly rgba: Uint8ClampedArray,
  ) {}

  static async decode(bytes: Uint8Array | Blob, name: string, maxPixels = MAX_PIXELS): Promise<RgbImage> {
    const blob = bytes instanceof Blob ? bytes : new Blob([bytes as BlobPart]);
    const declared = await headerSize(blob, name);
    if (declared.width * declared.height > maxPixels) {
      const count = (n: number) => n.toLocaleString('en-US');
      throw new ViewerError(
        'bad-image',
        `The image '${name}' declares ${declared.width}×${declared.height} = ${count(declared.width * declared.height)} pixels, more than the limit of ${count(maxPixels)}`,
        undefined,
        'Use a smaller image',
      );
    }
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    } catch (cause) {
      throw new ViewerError('bad-image', `Cannot decode the image '${name}'`, undefined, FORMAT_HINT, { cause });
    }
    const { width, height } = bitmap;
    if (!width || !height)
      throw new ViewerError('bad-image', `The image '${name}' is empty (${width}×${height})`, undefined, 'Use another image');
    const ctx = canvas2d(width, height);
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, width, height);
    ctx.drawImage(bitmap, 0, 0);
    bitmap.close();
    return new RgbImage(width, height, ctx.getImageData(0, 0, width, height).data);
  }

  /**
   * This image resampled to `p.width`×`p.height` and put at (`p.x`, `p.y`) of a `width`×`height`
   * frame filled with `fill` (core's Placement); pixels are copied when no resampling is needed.
   */
  placed(
    p: { width: number; height: number; x: number; y: number },
    width: number,
    height: number,
    fill: readonly number[],
  ): RgbImage {
    const dst = canvas2d(width, height);
    dst.fillStyle = `rgb(${fill[0]}, ${fill[1]}, ${fill[2]})`;
    dst.fillRect(0, 0, width, height);
    if (p.width === this.width && p.height === this.height) {
      dst.putImageData(this.toImageData(), p.x, p.y);
    } else {
      const src = canvas2d(this.width, this.height);
      src.putImageData(this.toImageData(), 0, 0);
      dst.imageSmoothingEnabled = true;
      dst.imageSmoothingQuality = 'high';
      dst.drawImage(src.canvas, p.x, p.y, p.width, p.height);
    }
    return new RgbImage(width, height, dst.getImageData(0, 0, width, height).data);
  }

  toImageData(): ImageData {
    return new ImageData(new Uint8ClampedArray(this.rgba), this.width, this.height);
  }

  toCanvas(): HTMLCanvasElement {
    const ctx = canvas2d(this.width, this.height);
    ctx.putImageData(this.toImageData(), 0, 0);
    return ctx.canvas as HTMLCanvasElement;
  }
}

/** The size an image's header declares: an <img> reads it without decoding the pixels. */
function headerSize(blob: Blob, name: string): Promise<{ width: number; height: number }> {
  const url = URL.createObjectURL(blob);
  const img = new Image();
  return new Promise<{ width: number; height: number }>((resolve, reject) => {
    img.onload = () => resolve({ width: img.naturalWidth, height: img.naturalHeight });
    img.onerror = () => reject(new ViewerError('bad-image', `Cannot decode the image '${name}'`, undefined, FORMAT_HINT));
    img.src = url;
  }).finally(() => URL.revokeObjectURL(url));
}

function canvas2d(width: number, height: number): CanvasRenderingContext2D {
  const c = document.createElement('canvas');
  c.width = width;
  c.height = height;
  const ctx = c.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new ViewerError('internal', 'This browser gave no 2D canvas context');
  return ctx;
}
