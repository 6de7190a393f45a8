/**
 * The WebGL path (no WebGPU in the browser): the same tiles painted on the CPU with the same
 * formula (Colormap.paint) and uploaded as one DataTexture; for a video, the frame chosen at paint.
 */
import { DataTexture, RGBAFormat, UnsignedByteType, LinearFilter } from 'three/webgpu';
import { Colormap, type PaintStyle } from './Colormap.ts';
import type { AtlasLayout, CamAtlas, TilePixels } from './AtlasLayout.ts';
import type { CamSet } from './CamSet.ts';

export class CpuAtlas implements CamAtlas {
  readonly texture: DataTexture;
  private readonly pixels: Uint8ClampedArray;
  /** Each input frame at the tile's size. */
  private readonly scaledImages: Uint8ClampedArray[];

  constructor(
    private readonly set: CamSet,
    readonly layout: AtlasLayout,
  ) {
    this.pixels = new Uint8ClampedArray(layout.width * layout.height * 4);
    this.texture = new DataTexture(new Uint8Array(this.pixels.buffer), layout.width, layout.height, RGBAFormat, UnsignedByteType);
    this.texture.minFilter = LinearFilter;
    this.texture.magFilter = LinearFilter;
    this.texture.generateMipmaps = false;
    this.scaledImages = set.images.map((im) =>
      layout.tileW === set.width && layout.tileH === set.height
        ? im.rgba
        : im.placed({ width: layout.tileW, height: layout.tileH, x: 0, y: 0 }, layout.tileW, layout.tileH, [0, 0, 0]).rgba,
    );
  }

  paint(ranges: readonly { min: number; max: number }[], style: PaintStyle, frame = 0): void {
    const { layout, set } = this;
    set.layers.forEach((_, k) => {
      const [x, y] = layout.origin(k);
      Colormap.paint(
        set.inputMap(k, frame),
        set.width,
        set.height,
        ranges[k],
        style,
        this.scaledImages[frame],
        layout.tileW,
        layout.tileH,
        this.pixels,
        layout.width,
        x,
        y,
      );
    });
    this.texture.needsUpdate = true;
  }

  async read(k: number): Promise<TilePixels> {
    const { layout } = this;
    const [x, y] = layout.origin(k);
    const rgba = new Uint8Array(layout.tileW * layout.tileH * 4);
    for (let r = 0; r < layout.tileH; r++) {
      const from = ((y + r) * layout.width + x) * 4;
      rgba.set(this.pixels.subarray(from, from + layout.tileW * 4), r * layout.tileW * 4);
    }
    return { width: layout.tileW, height: layout.tileH, rgba };
  }

  dispose(): void {
    this.texture.dispose();
  }
}
