/**
 * Where each layer's tile sits in the one texture all planes sample (one texture and one
 * draw call for the whole stack, whatever the network's depth). Tiles keep the input's aspect;
 * their size is the input's, capped so that the atlas fits the device's texture limit.
 */
export class AtlasLayout {
  readonly tileW: number;
  readonly tileH: number;
  readonly cols: number;
  readonly rows: number;

  constructor(
    readonly layers: number,
    inputW: number,
    inputH: number,
    maxDimension: number,
    maxTile = 256,
  ) {
    let scale = Math.min(1, maxTile / Math.max(inputW, inputH));
    for (;;) {
      const tw = Math.max(1, Math.round(inputW * scale));
      const th = Math.max(1, Math.round(inputH * scale));
      const cols = Math.max(1, Math.min(layers, Math.floor(maxDimension / tw), Math.ceil(Math.sqrt((layers * th) / tw))));
      const rows = Math.ceil(layers / cols);
      if ((rows * th <= maxDimension && cols * tw <= maxDimension) || (tw <= 2 && th <= 2)) {
        this.tileW = tw;
        this.tileH = th;
        this.cols = cols;
        this.rows = rows;
        return;
      }
      scale *= 0.8;
    }
  }

  get width(): number {
    return this.cols * this.tileW;
  }

  get height(): number {
    return this.rows * this.tileH;
  }

  /** Top-left pixel of layer k's tile. */
  origin(k: number): [number, number] {
    return [(k % this.cols) * this.tileW, Math.floor(k / this.cols) * this.tileH];
  }

  /** [u, v, du, dv] of layer k's tile, v measured from the atlas's first row. */
  rect(k: number): [number, number, number, number] {
    const [x, y] = this.origin(k);
    return [x / this.width, y / this.height, this.tileW / this.width, this.tileH / this.height];
  }
}

/** A tile's pixels as painted: tileW×tileH, RGBA row by row. */
export interface TilePixels {
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8Array;
}

/** The texture every plane of the stack samples: each layer's CAM colormapped in its tile. */
export interface CamAtlas {
  readonly layout: AtlasLayout;
  /** A three.js texture (ExternalTexture over our GPUTexture, or a DataTexture). */
  readonly texture: import('three/webgpu').Texture;
  /** Re-colours every tile: normalization ranges per layer, colormap, overlay, and for a video the input frame shown (0-based). */
  paint(ranges: readonly { min: number; max: number }[], style: import('./Colormap.ts').PaintStyle, frame?: number): void;
  /** Layer k's tile as last painted (for tests and scripts: window.camanim.tile). */
  read(k: number): Promise<TilePixels>;
  dispose(): void;
}
