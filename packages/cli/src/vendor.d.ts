/** The few parts of untyped dependencies that camanim uses. */
declare module 'gifenc' {
  export type Palette = number[][];
  export interface GifEncoder {
    writeFrame(
      index: Uint8Array,
      width: number,
      height: number,
      opts?: { palette?: Palette; delay?: number; repeat?: number; transparent?: boolean },
    ): void;
    finish(): void;
    bytes(): Uint8Array;
  }
  const gifenc: {
    GIFEncoder(opts?: { auto?: boolean }): GifEncoder;
    quantize(
      rgba: Uint8Array | Uint8ClampedArray,
      maxColors: number,
      opts?: { format?: 'rgb565' | 'rgb444' | 'rgba4444' },
    ): Palette;
    applyPalette(rgba: Uint8Array | Uint8ClampedArray, palette: Palette, format?: 'rgb565' | 'rgb444' | 'rgba4444'): Uint8Array;
  };
  export default gifenc;
}

declare module 'cli-progress' {
  export interface BarOptions {
    format?: string;
    stream?: NodeJS.WritableStream;
    hideCursor?: boolean;
    clearOnComplete?: boolean;
    stopOnComplete?: boolean;
    barsize?: number;
    noTTYOutput?: boolean;
    etaBuffer?: number;
  }
  export class SingleBar {
    constructor(opts: BarOptions, preset?: unknown);
    start(total: number, value: number, payload?: Record<string, unknown>): void;
    update(value: number, payload?: Record<string, unknown>): void;
    increment(step?: number, payload?: Record<string, unknown>): void;
    setTotal(total: number): void;
    stop(): void;
  }
  export const Presets: { shades_classic: unknown; rect: unknown; legacy: unknown };
}
