import type { Page } from 'playwright-core';

/**
 * A GIF's structure without decoding its pixels (GIF89a spec, sections 17–27): the logical
 * screen's size, and per image its size and the delay of the graphic control block before it.
 * Its pixels: decodeGif, in the page.
 */
export interface GifInfo {
  width: number;
  height: number;
  frames: { width: number; height: number; delayMs: number }[];
}

export function readGif(b: Uint8Array): GifInfo {
  const text = String.fromCharCode(...b.subarray(0, 6));
  if (text !== 'GIF89a' && text !== 'GIF87a') throw new Error(`not a GIF: the file starts with ${JSON.stringify(text)}`);
  const u16 = (o: number) => b[o] | (b[o + 1] << 8);
  const table = (packed: number) => (packed & 0x80 ? 3 * 2 ** ((packed & 7) + 1) : 0);
  const info: GifInfo = { width: u16(6), height: u16(8), frames: [] };
  let o = 13 + table(b[10]);
  let delayMs = 0;
  const skipBlocks = () => {
    while (b[o] !== 0) o += b[o] + 1;
    o++;
  };
  while (o < b.length) {
    const kind = b[o++];
    if (kind === 0x3b) return info;
    if (kind === 0x21) {
      const label = b[o++];
      if (label === 0xf9) delayMs = 10 * u16(o + 2);
      skipBlocks();
    } else if (kind === 0x2c) {
      info.frames.push({ width: u16(o + 4), height: u16(o + 6), delayMs });
      o += 9 + table(b[o + 8]) + 1; // descriptor, local colour table, LZW minimum code size
      skipBlocks();
    } else {
      throw new Error(`GIF: unexpected block 0x${kind.toString(16)} at byte ${o - 1}`);
    }
  }
  throw new Error('GIF: no trailer (0x3b): the file is cut short');
}

/** Frames of a GIF decoded by the page's own ImageDecoder: the frame count and the RGBA pixels of the frames asked for. */
export async function decodeGif(
  p: Page,
  bytes: Buffer,
  indices: readonly number[],
): Promise<{ count: number; width: number; height: number; frames: Buffer[] }> {
  const r = await p.evaluate(
    async ({ b64, indices }) => {
      const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const decoder = new ImageDecoder({ data, type: 'image/gif' });
      await decoder.tracks.ready;
      const count = decoder.tracks.selectedTrack!.frameCount;
      let [width, height] = [0, 0];
      const frames: string[] = [];
      for (const i of indices) {
        const { image } = await decoder.decode({ frameIndex: i < 0 ? count + i : i });
        const c = new OffscreenCanvas(image.displayWidth, image.displayHeight);
        const ctx = c.getContext('2d')!;
        ctx.drawImage(image, 0, 0);
        image.close();
        [width, height] = [c.width, c.height];
        const px = ctx.getImageData(0, 0, c.width, c.height).data;
        let s = '';
        for (let o = 0; o < px.length; o += 0x8000) s += String.fromCharCode(...px.subarray(o, o + 0x8000));
        frames.push(btoa(s));
      }
      return { count, width, height, frames };
    },
    { b64: bytes.toString('base64'), indices },
  );
  return { ...r, frames: r.frames.map((f) => Buffer.from(f, 'base64')) };
}
