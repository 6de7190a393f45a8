/**
 * Runs the colormap + overlay kernel (@camanim/shaders colormapOverlayKernel) on the GPU
 * through core's Runtime: normalized maps and the display image in, RGBA frames out.
 */
import { colormapLutWords, colormapOverlayKernel, type ColormapName } from '@camanim/shaders';
import type { GpuTensor, Runtime } from '@camanim/core';

export interface OverlayRequest {
  /** Normalized maps (0..1), each mapH·mapW. */
  readonly maps: readonly Float32Array[];
  readonly mapH: number;
  readonly mapW: number;
  /** RGB in 0..1, outH·outW·3 (zeros when alpha is 1). */
  readonly image: Float32Array;
  readonly outH: number;
  readonly outW: number;
  readonly colormap: ColormapName;
  readonly alpha: number;
}

/** One RGBA buffer (outW·outH·4 bytes) per map. */
export async function renderOverlays(rt: Runtime, req: OverlayRequest): Promise<Uint8Array[]> {
  const { maps, mapH, mapW, outH, outW } = req;
  const frameBytes = outH * outW * 4;
  const limit = Math.min(rt.device.limits.maxStorageBufferBindingSize, 128 * 2 ** 20);
  const perChunk = Math.max(1, Math.floor(limit / frameBytes));
  const image = rt.upload(req.image, [outH * outW * 3], 'overlay:image');
  // The table's u32 words travel as f32 bits (the runtime uploads Float32Arrays; bytes are copied as is).
  const lut = rt.upload(new Float32Array(colormapLutWords(req.colormap).buffer), [256], 'overlay:lut');
  const frames: Uint8Array[] = [];
  try {
    for (let start = 0; start < maps.length; start += perChunk) {
      const chunk = maps.slice(start, start + perChunk);
      const packed = new Float32Array(chunk.length * mapH * mapW);
      chunk.forEach((m, k) => packed.set(m, k * mapH * mapW));
      const temps: GpuTensor[] = [];
      try {
        const src = rt.upload(packed, [packed.length], 'overlay:maps');
        temps.push(src);
        const out = rt.createTensor([chunk.length * outH * outW], 'overlay:rgba');
        temps.push(out);
        const kernel = colormapOverlayKernel({ frames: chunk.length, mapH, mapW, outH, outW, alpha: req.alpha });
        await rt.run([{ kernel, buffers: [src.buffer, image.buffer, lut.buffer, out.buffer] }], 'overlay');
        const { data } = await rt.read(out, 'overlay:rgba');
        const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        chunk.forEach((_, k) => frames.push(bytes.slice(k * frameBytes, (k + 1) * frameBytes)));
      } finally {
        temps.forEach((t) => rt.release(t));
      }
    }
  } finally {
    rt.release(image);
    rt.release(lut);
  }
  return frames;
}
