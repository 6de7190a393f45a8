/** A bundle's binaries: float32 little-endian maps laid end to end, written and read. */
import type { ByteRange } from './manifest.ts';

/** The bytes of `maps` one after another, and each one's byte range. */
export function packMaps(maps: readonly Float32Array[]): { bytes: Uint8Array; ranges: ByteRange[] } {
  const total = maps.reduce((a, m) => a + m.length, 0);
  const bytes = new Uint8Array(total * 4);
  const view = new DataView(bytes.buffer);
  const ranges: ByteRange[] = [];
  let offset = 0;
  for (const m of maps) {
    ranges.push({ byteOffset: offset, byteLength: m.length * 4 });
    for (let i = 0; i < m.length; i++, offset += 4) view.setFloat32(offset, m[i], true);
  }
  return { bytes, ranges };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The map at `r` in `bytes` (a validated range): a view when aligned on a little-endian host, else a copy. */
export function readMap(bytes: Uint8Array, r: ByteRange): Float32Array {
  if (LITTLE_ENDIAN && (bytes.byteOffset + r.byteOffset) % 4 === 0)
    return new Float32Array(bytes.buffer, bytes.byteOffset + r.byteOffset, r.byteLength / 4);
  if (LITTLE_ENDIAN) return new Float32Array(bytes.slice(r.byteOffset, r.byteOffset + r.byteLength).buffer);
  const view = new DataView(bytes.buffer, bytes.byteOffset + r.byteOffset, r.byteLength);
  return Float32Array.from({ length: r.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
}
