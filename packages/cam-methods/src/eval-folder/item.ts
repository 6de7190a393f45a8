/**
 * A gallery item of an eval folder: one file per scored image holding the image as the model saw
 * it (a PNG thumbnail) and its CAM at every layer of every method at low resolution, written by
 * `camanim eval` and read by the viewer's gallery. Layout, little-endian:
 *
 *   bytes 0–7   the magic `CAMGAL01`
 *   bytes 8–11  n, the header's length (uint32)
 *   n bytes     the header, JSON (GalleryItemHeader)
 *   the PNG     `thumb.byteLength` bytes
 *   the maps    one `map.width`×`map.height` uint8 map per header `maps` entry, in that order
 *
 * A map's byte u stands for min + u/255·(max − min) of the CAM after ReLU, box-averaged down to
 * the map size (cli/src/eval/gallery-item.ts): 0 and 255 are its own least and most relevant pixel.
 * A file's size must be exactly what its header adds up to, so a truncated one is refused.
 */
import { BundleError } from '../bundle/manifest.ts';
import { Fields } from '../bundle/fields.ts';
import type { GallerySize } from './schema.ts';

export const GALLERY_ITEM_MAGIC = 'CAMGAL01';
/** The magic and the header length: what to read first to find the header's end. */
export const GALLERY_ITEM_PREFIX = 12;
/** Far more than a header with thousands of layers needs: a longer one is a damaged file. */
const MAX_HEADER = 16 * 2 ** 20;

export interface GalleryMapEntry {
  readonly method: string;
  /** 0-based index among the method's layers. */
  readonly layer: number;
  /** The range the bytes stand for (after ReLU). */
  readonly min: number;
  readonly max: number;
}

export interface GalleryItemHeader {
  /** SHA-256 of the image file. */
  readonly image: string;
  readonly thumb: GallerySize & { readonly byteLength: number };
  readonly map: GallerySize;
  readonly maps: readonly GalleryMapEntry[];
}

export interface GalleryItem {
  readonly header: GalleryItemHeader;
  readonly png: Uint8Array;
  /** The map of (method, layer), or undefined when the item has none. */
  map(method: string, layer: number): Uint8Array | undefined;
}

export const ITEM_HINT =
  'The file is damaged or truncated; run the same camanim eval again, which writes every missing or damaged item anew';

export function encodeGalleryItem(header: GalleryItemHeader, png: Uint8Array, maps: readonly Uint8Array[]): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const area = header.map.width * header.map.height;
  if (png.length !== header.thumb.byteLength || maps.length !== header.maps.length || maps.some((m) => m.length !== area))
    throw new Error('encodeGalleryItem: the PNG or the maps do not match the header');
  const out = new Uint8Array(GALLERY_ITEM_PREFIX + json.length + png.length + maps.length * area);
  out.set(new TextEncoder().encode(GALLERY_ITEM_MAGIC), 0);
  new DataView(out.buffer).setUint32(8, json.length, true);
  out.set(json, GALLERY_ITEM_PREFIX);
  let at = GALLERY_ITEM_PREFIX + json.length;
  out.set(png, at);
  at += png.length;
  for (const m of maps) {
    out.set(m, at);
    at += area;
  }
  return out;
}

/** Where the header ends, from the item's first GALLERY_ITEM_PREFIX bytes (the magic checked). */
export function galleryHeaderEnd(prefix: Uint8Array, where: string): number {
  const magic = new TextDecoder().decode(prefix.subarray(0, 8));
  if (prefix.length < GALLERY_ITEM_PREFIX || magic !== GALLERY_ITEM_MAGIC)
    throw damaged(
      `does not start with '${GALLERY_ITEM_MAGIC}' (it starts ${JSON.stringify(magic)}): it is not a camanim gallery item`,
      where,
    );
  const n = new DataView(prefix.buffer, prefix.byteOffset, GALLERY_ITEM_PREFIX).getUint32(8, true);
  if (n > MAX_HEADER) throw damaged(`declares a ${n}-byte header`, where);
  return GALLERY_ITEM_PREFIX + n;
}

/**
 * The header of an item whose first bytes are `head` (at least up to the header's end) and whose
 * whole size is `size`: validated, and the size checked against it.
 */
export function readGalleryHeader(head: Uint8Array, size: number, where: string): GalleryItemHeader {
  const end = galleryHeaderEnd(head, where);
  if (head.length < end || size < end) throw damaged(`is ${size} bytes, shorter than its ${end}-byte header`, where);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(head.subarray(GALLERY_ITEM_PREFIX, end)));
  } catch (cause) {
    throw damaged(`has a header that is not JSON (${(cause as Error).message})`, where);
  }
  const f = new Fields(where, { subject: "The gallery item's", code: 'bad-eval', hint: ITEM_HINT });
  const h = f.object(json, 'header');
  const thumb = f.object(h.thumb, 'thumb');
  const map = f.object(h.map, 'map');
  const header: GalleryItemHeader = {
    image: f.string(h.image, 'image', true),
    thumb: {
      width: f.int(thumb.width, 'thumb.width', 1),
      height: f.int(thumb.height, 'thumb.height', 1),
      byteLength: f.int(thumb.byteLength, 'thumb.byteLength', 1),
    },
    map: { width: f.int(map.width, 'map.width', 1), height: f.int(map.height, 'map.height', 1) },
    maps: f.array(h.maps, 'maps').map((v, k) => {
      const e = f.object(v, `maps[${k}]`);
      return {
        method: f.string(e.method, `maps[${k}].method`, true),
        layer: f.int(e.layer, `maps[${k}].layer`, 0),
        min: f.finite(e.min, `maps[${k}].min`),
        max: f.finite(e.max, `maps[${k}].max`),
      };
    }),
  };
  const expected = end + header.thumb.byteLength + header.maps.length * header.map.width * header.map.height;
  if (size !== expected)
    throw damaged(
      `is ${size} bytes; its header says ${expected} (a ${header.thumb.byteLength}-byte PNG and ${header.maps.length} maps of ${header.map.width}×${header.map.height})`,
      where,
    );
  return header;
}

/** A whole item's bytes, validated. */
export function readGalleryItem(bytes: Uint8Array, where: string): GalleryItem {
  const header = readGalleryHeader(bytes, bytes.length, where);
  const start = galleryHeaderEnd(bytes, where) + header.thumb.byteLength;
  const area = header.map.width * header.map.height;
  return {
    header,
    png: bytes.subarray(start - header.thumb.byteLength, start),
    map(method, layer) {
      const k = header.maps.findIndex((m) => m.method === method && m.layer === layer);
      return k < 0 ? undefined : bytes.subarray(start + k * area, start + (k + 1) * area);
    },
  };
}

function damaged(what: string, where: string): BundleError {
  return new BundleError('bad-eval', `The gallery item ${what}`, where, ITEM_HINT);
}
