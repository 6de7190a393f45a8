/**
 * Every plane's caption (index, op type, shape, ONNX name) drawn once into one canvas texture;
 * planes pick their cell by a per-instance rectangle, so captions cost one draw call.
 */
import { CanvasTexture, LinearFilter } from 'three/webgpu';
import type { CamLayerView } from './CamSet.ts';

export const LABEL_W = 512;
export const LABEL_H = 76;
const MAX_SIDE = 8192;

export class LabelAtlas {
  readonly texture: CanvasTexture;
  readonly cols: number;
  readonly rows: number;

  constructor(layers: readonly CamLayerView[]) {
    this.cols = Math.min(MAX_SIDE / LABEL_W, Math.max(4, Math.ceil((layers.length * LABEL_H) / MAX_SIDE)));
    this.rows = Math.max(1, Math.ceil(layers.length / this.cols));
    const canvas = document.createElement('canvas');
    canvas.width = this.cols * LABEL_W;
    canvas.height = Math.min(MAX_SIDE, this.rows * LABEL_H);
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = '#15171c';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    layers.forEach((l, k) => {
      const x = (k % this.cols) * LABEL_W;
      const y = Math.floor(k / this.cols) * LABEL_H;
      ctx.fillStyle = '#2a2e37';
      ctx.fillRect(x + 2, y + 2, LABEL_W - 4, LABEL_H - 4);
      ctx.fillStyle = '#f2f2f2';
      ctx.font = 'bold 26px "DejaVu Sans Mono", monospace';
      ctx.fillText(fit(ctx, `#${k + 1}/${layers.length} ${l.opType} [${l.shape.join(',')}]`, LABEL_W - 20), x + 10, y + 31);
      ctx.fillStyle = '#a9b4c6';
      ctx.font = '20px "DejaVu Sans Mono", monospace';
      ctx.fillText(fit(ctx, l.name, LABEL_W - 20, true), x + 10, y + 62);
    });
    this.texture = new CanvasTexture(canvas);
    this.texture.minFilter = LinearFilter;
    this.texture.generateMipmaps = false;
  }

  /** [u, v, du, dv] of layer k's cell, v from the top of the canvas. */
  rect(k: number): [number, number, number, number] {
    const W = this.cols * LABEL_W;
    const H = this.rows * LABEL_H;
    return [((k % this.cols) * LABEL_W) / W, (Math.floor(k / this.cols) * LABEL_H) / H, LABEL_W / W, LABEL_H / H];
  }

  dispose(): void {
    this.texture.dispose();
  }
}

/** Text cut to a pixel width with an ellipsis (at the start for names, whose end matters). */
export function fit(ctx: CanvasRenderingContext2D, text: string, width: number, keepEnd = false): string {
  if (ctx.measureText(text).width <= width) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    const t = keepEnd ? `…${text.slice(text.length - mid)}` : `${text.slice(0, mid)}…`;
    if (ctx.measureText(t).width <= width) lo = mid;
    else hi = mid - 1;
  }
  return keepEnd ? `…${text.slice(text.length - lo)}` : `${text.slice(0, lo)}…`;
}
