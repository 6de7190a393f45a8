/** Image files in and out through sharp: JPEG, PNG and WebP decode to 8-bit RGB. */
import { stat } from 'node:fs/promises';
import sharp from 'sharp';
import { cliError } from './errors.ts';

export interface RgbImage {
  readonly file: string;
  readonly width: number;
  readonly height: number;
  /** width·height·3 bytes, row-major RGB. */
  readonly rgb: Buffer;
}

const FORMATS = ['jpeg', 'png', 'webp'];

export async function readImage(file: string): Promise<RgbImage> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw cliError('Image file not found', { file }, 'Check the --image path', 'not-found');
  try {
    const meta = await sharp(file).metadata();
    if (!meta.format || !FORMATS.includes(meta.format)) {
      throw cliError(`Unsupported image format '${meta.format ?? 'unknown'}'`, { file }, 'Use a JPEG, PNG or WebP image');
    }
    // Auto-orient by EXIF, drop alpha onto white, convert to sRGB 8-bit.
    const { data, info: out } = await sharp(file).rotate().flatten({ background: '#ffffff' }).toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
    if (out.channels !== 3) throw cliError(`Decoded the image to ${out.channels} channels, expected RGB`, { file });
    return { file, width: out.width, height: out.height, rgb: data };
  } catch (e) {
    if ((e as { name?: string }).name === 'CamanimError') throw e;
    throw cliError(`Cannot read the image: ${(e as Error).message}`, { file }, 'Use a valid JPEG, PNG or WebP file', 'bad-input', e);
  }
}

/** RGB or RGBA bytes → PNG bytes. */
export function encodePng(pixels: Buffer | Uint8Array, width: number, height: number, channels: 3 | 4): Promise<Buffer> {
  return sharp(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), { raw: { width, height, channels } }).png({ compressionLevel: 6 }).toBuffer();
}
