/** Animated GIF with gifenc: a 256-colour palette per frame, looping forever. */
import * as gifencModule from 'gifenc';

// Node loads gifenc's CommonJS build (functions on the default export); bundlers such as vite
// pick its ESM build (named exports).
const gifenc = 'GIFEncoder' in gifencModule ? (gifencModule as unknown as typeof gifencModule.default) : gifencModule.default;
const { GIFEncoder, applyPalette, quantize } = gifenc;

/** A GIF encoded frame by frame, as the frames come (see composeFrames). */
export class GifStream {
  private readonly gif = GIFEncoder();
  private readonly delay: number;
  private frameCount = 0;

  constructor(
    private readonly width: number,
    private readonly height: number,
    fps: number,
  ) {
    this.delay = Math.round(1000 / fps);
  }

  add(rgba: Uint8Array): void {
    const palette = quantize(rgba, 256);
    this.gif.writeFrame(applyPalette(rgba, palette), this.width, this.height, { palette, delay: this.delay, repeat: 0 });
    this.frameCount++;
  }

  get frames(): number {
    return this.frameCount;
  }

  /** The file's bytes; nothing can be added after. */
  finish(): Uint8Array {
    this.gif.finish();
    return this.gif.bytes();
  }
}
