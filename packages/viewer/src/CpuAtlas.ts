/**
 * The WebGL path (no WebGPU in the browser): the same tiles painted on the CPU with the same
 * formula (Colormap.paint) and uploaded as one DataTexture.
 */
import { DataTexture, RGBAFormat, UnsignedByteType, LinearFilter } from 'three/webgpu';
import { Colormap, type PaintStyle } from './Colormap.ts';
import type { AtlasLayout, CamAtlas } from './AtlasLayout.ts';
import type { CamSet } from './CamSet.ts';

export class CpuAtlas implements CamAtlas {
  readonly texture: DataTexture;
  private readonly pixels: Uint8ClampedArray;
  private readonly scaledImage: Uint8ClampedArray;

  constructor(
    private readonly set: CamSet,
    readonly layout: AtlasLayout,
  ) {
    this.pixels = new Uint8ClampedArray(layout.width * layout.height * 4);
    this.texture = new DataTexture(new Uint8Array(this.pixels.buffer), layout.width, layout.height, RGBAFormat, UnsignedByteType);
    this.texture.minFilter = LinearFilter;
    this.texture.magFilter = LinearFilter;
    this.texture.generateMipmaps = false;
    this.scaledImage =
      layout.tileW === set.width && layout.tileH === set.height
        ? set.image.rgba
        : set.image.placed({ width: layout.tileW, height: layout.tileH, x: 0, y: 0 }, layout.tileW, layout.tileH, [0, 0, 0]).rgba;
  }

  paint(ranges: readonly { min: number; max: number }[], style: PaintStyle): void {
    const { layout, set } = this;
    set.layers.forEach((l, k) => {
      const [x, y] = layout.origin(k);
      Colormap.paint(
        l.upsampled,
        set.width,
        set.height,
        ranges[k],
        style,
        this.scaledImage,
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

  dispose(): void {
    this.texture.dispose();
  }
}
