/**
 * The CLI's animated GIF, made in the page: one frame per layer (a video's: per layer and input frame), each the 2D frame's map
 * (FramePanel's colours, over the input or alone) with its caption, encoded with gifenc (a
 * 256-colour palette per frame, looping, at the CLI's default 4 frames a second). The frame
 * has the input's aspect, so the caption lies on a dark band over the map's bottom edge
 * instead of below it; the input is scaled up until its shorter side is legible.
 */
import { applyPalette, GIFEncoder, quantize } from 'gifenc/dist/gifenc.esm.js';
import type { CamSet } from './CamSet.ts';
import type { PaintStyle } from './Colormap.ts';
import { frameCaption, frameImage, type FrameCaption } from './FramePanel.ts';
import { exportCanvas } from './Recorder.ts';
import { elideMiddle, fit } from './TextFit.ts';

/** The CLI's --fps default. */
const FPS = 4;
/** The frame's shorter side is scaled up to this (a 48-pixel-high input gets room for its caption), its longer side kept within MAX_SIDE. */
const MIN_SIDE = 480;
const MAX_SIDE = 960;
/** The CLI frames' font and colours (packages/cli/src/frames.ts). */
const FONT = "'DejaVu Sans Mono', 'Liberation Mono', monospace";
const COLOURS = { title: '#ffffff', name: '#9ad0ff', detail: '#ffe08a' };
const BAND = 'rgba(13, 15, 19, 0.78)';

export class FrameGif {
  readonly width: number;
  readonly height: number;

  constructor(
    private readonly set: CamSet,
    private readonly ranges: readonly { min: number; max: number }[],
    private readonly style: PaintStyle,
    private readonly normalization: string,
  ) {
    const { width: W, height: H } = set;
    const s = Math.min(MAX_SIDE / Math.max(W, H), Math.max(1, MIN_SIDE / Math.min(W, H)));
    this.width = Math.max(1, Math.round(W * s));
    this.height = Math.max(1, Math.round(H * s));
  }

  /**
   * Encodes every layer's frame (a video's: every layer through every input frame, layer after
   * layer, as the CLI's animation); `progress` after each. The bytes exist only once all frames are in.
   */
  async encode(progress: (done: number, total: number) => void): Promise<Blob> {
    const { set, width, height } = this;
    const L = set.layers.length;
    const T = set.frames;
    const frame = exportCanvas(width, height, { willReadFrequently: true });
    const map = exportCanvas(set.width, set.height);
    frame.imageSmoothingQuality = 'high';
    const gif = GIFEncoder();
    for (let i = 0; i < L * T; i++) {
      const [k, t] = [Math.floor(i / T), i % T];
      map.putImageData(frameImage(set, k, t, this.ranges[k], this.style), 0, 0);
      frame.drawImage(map.canvas, 0, 0, width, height);
      this.caption(frame, frameCaption(set, k, t, this.normalization));
      const rgba = frame.getImageData(0, 0, width, height).data;
      const palette = quantize(rgba, 256);
      gif.writeFrame(applyPalette(rgba, palette), width, height, { palette, delay: 1000 / FPS, repeat: 0 });
      progress(i + 1, L * T);
      // Back to the event loop between frames, so that the progress shows and the page stays responsive.
      await new Promise((r) => setTimeout(r, 0));
    }
    gif.finish();
    return new Blob([gif.bytes() as Uint8Array<ArrayBuffer>], { type: 'image/gif' });
  }

  /** The caption on a band at the bottom: title and detail wrapped at their ' · ' separators, the name elided in the middle. */
  private caption(ctx: CanvasRenderingContext2D, text: FrameCaption): void {
    const { width, height } = this;
    const size = Math.max(11, Math.min(15, Math.round(Math.min(width, height) / 20)));
    const pad = Math.round(size * 0.6);
    const lineH = Math.round(size * 1.35);
    const room = width - 2 * pad;
    const lines: { text: string; font: string; colour: string }[] = [];
    const add = (t: string, font: string, colour: string) => {
      ctx.font = font;
      for (const line of wrap(ctx, t, room)) lines.push({ text: line, font, colour });
    };
    add(text.title, `bold ${size}px ${FONT}`, COLOURS.title);
    ctx.font = `${size}px ${FONT}`;
    lines.push({
      text: elideMiddle(text.name, Math.floor(room / ctx.measureText('0').width)),
      font: ctx.font,
      colour: COLOURS.name,
    });
    add(text.detail, `${size}px ${FONT}`, COLOURS.detail);
    const top = height - lines.length * lineH - 2 * pad;
    ctx.fillStyle = BAND;
    ctx.fillRect(0, top, width, height - top);
    ctx.textBaseline = 'top';
    lines.forEach((l, i) => {
      ctx.font = l.font;
      ctx.fillStyle = l.colour;
      ctx.fillText(l.text, pad, top + pad + i * lineH + Math.round((lineH - size) / 2));
    });
  }
}

/** `text` in lines of at most `width` pixels, broken at ' · ' (a part wider than a line is cut with an ellipsis). */
function wrap(ctx: CanvasRenderingContext2D, text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const part of text.split(' · ')) {
    const joined = line ? `${line} · ${part}` : part;
    if (!line || ctx.measureText(joined).width <= width) line = joined;
    else {
      lines.push(line);
      line = part;
    }
  }
  lines.push(line);
  return lines.map((l) => fit(ctx, l, width));
}
