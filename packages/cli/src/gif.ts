/** Animated GIF with gifenc: a 256-colour palette per frame, looping forever. */
import * as gifencModule from 'gifenc';

// Node loads gifenc's CommonJS build (functions on the default export); bundlers such as vite
// pick its ESM build (named exports).
const gifenc = 'GIFEncoder' in gifencModule ? (gifencModule as unknown as typeof gifencModule.default) : gifencModule.default;
const { GIFEncoder, applyPalette, quantize } = gifenc;

export function encodeGif(
  frames: readonly Uint8Array[],
  width: number,
  height: number,
  fps: number,
  onFrame?: () => void,
): Uint8Array {
  const gif = GIFEncoder();
  const delay = Math.round(1000 / fps);
  for (const rgba of frames) {
    const palette = quantize(rgba, 256);
    gif.writeFrame(applyPalette(rgba, palette), width, height, { palette, delay, repeat: 0 });
    onFrame?.();
  }
  gif.finish();
  return gif.bytes();
}
