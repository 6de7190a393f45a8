/**
 * gifenc has no types. The page imports its ESM build by path: the bare name 'gifenc' is
 * declared by the CLI (packages/cli/src/vendor.d.ts, for its CommonJS build in Node), and the
 * repository type-checks both packages in one program, where a second declaration would clash.
 */
declare module 'gifenc/dist/gifenc.esm.js' {
  export interface GifEncoder {
    writeFrame(
      index: Uint8Array,
      width: number,
      height: number,
      opts?: { palette?: number[][]; delay?: number; repeat?: number },
    ): void;
    finish(): void;
    bytes(): Uint8Array;
  }
  export function GIFEncoder(): GifEncoder;
  export function quantize(rgba: Uint8Array | Uint8ClampedArray, maxColors: number): number[][];
  export function applyPalette(rgba: Uint8Array | Uint8ClampedArray, palette: number[][]): Uint8Array;
}
