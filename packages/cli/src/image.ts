/**
 * Image files in and out through sharp: JPEG, PNG, WebP and GIF decode to 8-bit RGB.
 * Hostile files are refused before any pixel is decoded: the size the header declares is
 * checked against a pixel limit (a decompression bomb declares gigapixels in a few bytes),
 * and a truncated or corrupt file fails instead of decoding to grey.
 */
import { stat } from 'node:fs/promises';
import sharp from 'sharp';
import { cliError } from './errors.ts';

export interface RgbImage {
  readonly file: string;
  readonly width: number;
  readonly height: number;
  /** width·height·3 bytes, row-major RGB. */
  readonly rgb: Buffer;
  /** Frames in the file (animated GIF / WebP); only the first is decoded. */
  readonly frames: number;
}

export interface ReadImageOptions {
  /** Largest width·height accepted, checked from the header before decoding. */
  readonly maxPixels?: number;
  /** Called with a one-line notice, e.g. that only the first frame of an animation is used. */
  readonly onNotice?: (msg: string) => void;
}

/** 100 megapixels: a 12000×8000 photo passes; its RGB copy alone is 300 MB. */
export const DEFAULT_MAX_PIXELS = 100_000_000;

const FORMATS = ['jpeg', 'png', 'webp', 'gif'];
const FORMAT_HINT = 'Use a JPEG, PNG, WebP or GIF image';

export async function readImage(file: string, opts: ReadImageOptions = {}): Promise<RgbImage> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw cliError('Image file not found', { file }, 'Check the --image path', 'not-found');
  try {
    // The header only: sharp decodes no pixel for metadata(); our own limit check follows.
    const meta = await sharp(file, { limitInputPixels: false }).metadata();
    if (!meta.format || !FORMATS.includes(meta.format)) {
      throw cliError(`Unsupported image format '${meta.format ?? 'unknown'}'`, { file }, FORMAT_HINT);
    }
    checkPixels(meta.width, meta.height, maxPixels, file);
    // First frame only (pages/page), sharp's own limit as a second guard, and failOn 'error':
    // truncated or corrupt data is refused ('warning' would also refuse files with benign
    // libpng/libjpeg warnings, common in the wild). Then auto-orient by EXIF, alpha onto
    // white, sRGB 8-bit (CMYK through libvips' CMYK profile, 16-bit scaled down).
    const { data, info: out } = await sharp(file, { limitInputPixels: maxPixels, failOn: 'error', pages: 1, page: 0 })
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (out.channels !== 3 || data.length !== out.width * out.height * 3) {
      throw cliError(
        `Decoded the image to ${out.channels} channels (${data.length} bytes), expected 8-bit RGB`,
        { file },
        FORMAT_HINT,
      );
    }
    const frames = meta.pages ?? 1;
    if (frames > 1) opts.onNotice?.(`${file}: an animation of ${frames} frames; explaining its first frame`);
    return { file, width: out.width, height: out.height, rgb: data, frames };
  } catch (e) {
    if ((e as { name?: string }).name === 'CamanimError') throw e;
    throw cliError(
      `Cannot decode the image, it is corrupt, truncated or not an image (${(e as Error).message})`,
      { file },
      `${FORMAT_HINT}; if it was cut short, copy or download it again`,
      'bad-input',
      e,
    );
  }
}

function checkPixels(width: number | undefined, height: number | undefined, maxPixels: number, file: string): void {
  if (!width || !height) throw cliError('The image header declares no size', { file }, FORMAT_HINT);
  if (width * height <= maxPixels) return;
  const count = (n: number) => n.toLocaleString('en-US');
  throw cliError(
    `The image declares ${width}×${height} = ${count(width * height)} pixels, more than the limit of ${count(maxPixels)}`,
    { file },
    'Use a smaller image, or raise the limit with --max-pixels if you trust this file',
    'resource-limit',
  );
}

/** RGB or RGBA bytes → PNG bytes. */
export function encodePng(pixels: Buffer | Uint8Array, width: number, height: number, channels: 3 | 4): Promise<Buffer> {
  return sharp(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), { raw: { width, height, channels } })
    .png({ compressionLevel: 6 })
    .toBuffer();
}
