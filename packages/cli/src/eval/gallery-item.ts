/**
 * What a gallery item of `camanim eval` holds (the format is cam-methods' eval-folder/item.ts):
 * the image as the model saw it, as a PNG of at most THUMB_MAX pixels a side, and per method and
 * layer its CAM at input resolution after ReLU, box-averaged down by the smallest integer factor
 * that brings both sides to at most MAP_MAX pixels (a 224×224 input: 4, 56×56 maps; 96×96: 2,
 * 48×48), then scaled to bytes over its own range (0 = its least, 255 = its most relevant pixel).
 */
import sharp from 'sharp';
import { encodeGalleryItem, type GalleryMapEntry, type GallerySize } from '@camanim/cam-methods';

export const MAP_MAX = 56;
export const THUMB_MAX = 112;

/** A CAM as the gallery keeps it. */
export interface GalleryMap {
  readonly data: Uint8Array;
  /** The range the bytes stand for. */
  readonly min: number;
  readonly max: number;
}

/** `size` divided by the smallest integer factor that brings both sides to ≤ `max` (edges rounded up). */
export function shrunk(size: GallerySize, max: number): GallerySize & { readonly factor: number } {
  const factor = Math.max(1, Math.ceil(Math.max(size.width, size.height) / max));
  return { factor, width: Math.ceil(size.width / factor), height: Math.ceil(size.height / factor) };
}

/** A CAM at input resolution (H·W, before ReLU) as the gallery keeps it: ReLU, box mean of factor×factor blocks, bytes. */
export function galleryMap(upsampled: ArrayLike<number>, input: GallerySize): GalleryMap {
  const { factor, width, height } = shrunk(input, MAP_MAX);
  const sums = new Float64Array(width * height);
  const counts = new Uint32Array(width * height);
  for (let y = 0; y < input.height; y++) {
    const row = Math.floor(y / factor) * width;
    for (let x = 0; x < input.width; x++) {
      const v = upsampled[y * input.width + x];
      const q = row + Math.floor(x / factor);
      sums[q] += v > 0 ? v : 0;
      counts[q]++;
    }
  }
  let min = Infinity;
  let max = -Infinity;
  for (let q = 0; q < sums.length; q++) {
    sums[q] /= counts[q];
    if (sums[q] < min) min = sums[q];
    if (sums[q] > max) max = sums[q];
  }
  const data = new Uint8Array(sums.length);
  if (max > min) for (let q = 0; q < sums.length; q++) data[q] = Math.round((255 * (sums[q] - min)) / (max - min));
  return { data, min, max };
}

/** The input as the model saw it (H·W·3 RGB bytes) as a PNG of at most THUMB_MAX a side. */
export async function thumbnail(crop: Uint8Array, input: GallerySize): Promise<GallerySize & { readonly png: Uint8Array }> {
  const { width, height } = shrunk(input, THUMB_MAX);
  let img = sharp(crop, { raw: { width: input.width, height: input.height, channels: 3 } });
  if (width !== input.width || height !== input.height) img = img.resize(width, height, { fit: 'fill' });
  return { width, height, png: new Uint8Array(await img.png({ compressionLevel: 9 }).toBuffer()) };
}

/** One image's gallery item: its thumbnail and every (method, layer) map, encoded. */
export async function galleryItem(
  image: string,
  crop: Uint8Array,
  input: GallerySize,
  maps: readonly (Omit<GalleryMapEntry, 'min' | 'max'> & { readonly map: GalleryMap })[],
): Promise<Uint8Array> {
  const thumb = await thumbnail(crop, input);
  const { width, height } = shrunk(input, MAP_MAX);
  return encodeGalleryItem(
    {
      image,
      thumb: { width: thumb.width, height: thumb.height, byteLength: thumb.png.length },
      map: { width, height },
      maps: maps.map((m) => ({ method: m.method, layer: m.layer, min: m.map.min, max: m.map.max })),
    },
    thumb.png,
    maps.map((m) => m.map.data),
  );
}
