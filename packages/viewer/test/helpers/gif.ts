/**
 * A GIF's structure without decoding its pixels (GIF89a spec, sections 17–27): the logical
 * screen's size, and per image its size and the delay of the graphic control block before it.
 * Its pixels: harness.ts's decodeFrames, in the page.
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
