/**
 * The CLI's animated GIF, made in the page: one frame per layer (a video's: per layer and input frame), each the 2D frame's map
 * (FramePanel's colours, over the input or alone) with its caption, encoded with gifenc (a
 * 256-colour palette per frame, looping, at the CLI's default 4 frames a second). Each panel
 * has the input's aspect, so the caption lies on a dark band over the maps' bottom edge
 * instead of below it; the input is scaled up until its shorter side is legible.
 *
 * Side by side (2–4 explanations), the CLI's grid.gif: one panel per explanation in one row, in
 * the panels' order, each at the input's aspect with its method on a band at its top and in its
 * own colour range (the same one under global normalization); the layer's caption spans the
 * row below the maps, where it hides none of them.
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
/** A row of panels stays within this width. */
const MAX_ROW = 1920;
/** The CLI frames' font and colours (packages/cli/src/frames.ts). */
const FONT = "'DejaVu Sans Mono', 'Liberation Mono', monospace";
const COLOURS = { title: '#ffffff', name: '#9ad0ff', detail: '#ffe08a' };
const BAND = 'rgba(13, 15, 19, 0.78)';
/** Below the maps (side by side): the band's colour, opaque. */
const PAGE = 'rgb(13, 15, 19)';

/** One explanation of the GIF: its maps and their colour range per layer. */
export interface GifPanel {
  readonly set: CamSet;
  readonly ranges: readonly { min: number; max: number }[];
}

type Line = { text: string; font: string; colour: string };

export class FrameGif {
  readonly width: number;
  readonly height: number;
  /** One panel's size: the maps at the input's aspect. */
  private readonly panelWidth: number;
  private readonly mapHeight: number;
  private readonly fontSize: number;

  constructor(
    private readonly panels: readonly GifPanel[],
    private readonly style: PaintStyle,
    private readonly normalization: string,
  ) {
    const { width: W, height: H, layers, frames: T } = panels[0].set;
    const n = panels.length;
    const s = Math.min(MAX_SIDE / Math.max(W, H), MAX_ROW / (n * W), Math.max(1, MIN_SIDE / Math.min(W, H)));
    this.panelWidth = Math.max(1, Math.round(W * s));
    this.mapHeight = Math.max(1, Math.round(H * s));
    this.width = n * this.panelWidth;
    this.fontSize = Math.max(11, Math.min(15, Math.round(Math.min(this.panelWidth, this.mapHeight) / 20)));
    // Side by side, a row of wide maps would hide behind the caption: it goes below them, as tall as the longest needs.
    const ctx = exportCanvas(1, 1);
    const lines = n > 1 ? Math.max(...layers.map((_, k) => this.captionLines(ctx, this.captionOf(k, T - 1)).length)) : 0;
    this.height = this.mapHeight + (lines && lines * this.lineHeight + 2 * this.pad);
  }

  /**
   * Encodes every layer's frame (a video's: every layer through every input frame, layer after
   * layer, as the CLI's animation); `progress` after each. The bytes exist only once all frames are in.
   */
  async encode(progress: (done: number, total: number) => void): Promise<Blob> {
    const { panels, width, height, panelWidth, mapHeight } = this;
    const set = panels[0].set;
    const L = set.layers.length;
    const T = set.frames;
    const frame = exportCanvas(width, height, { willReadFrequently: true });
    const map = exportCanvas(set.width, set.height);
    frame.imageSmoothingQuality = 'high';
    const gif = GIFEncoder();
    const side = panels.length > 1;
    for (let i = 0; i < L * T; i++) {
      const [k, t] = [Math.floor(i / T), i % T];
      panels.forEach((p, j) => {
        map.putImageData(frameImage(p.set, k, t, p.ranges[k], this.style), 0, 0);
        frame.drawImage(map.canvas, j * panelWidth, 0, panelWidth, mapHeight);
        if (side) this.methodBand(frame, p.set.info.method, j);
      });
      this.caption(frame, this.captionLines(frame, this.captionOf(k, t)));
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

  private get pad(): number {
    return Math.round(this.fontSize * 0.6);
  }

  private get lineHeight(): number {
    return Math.round(this.fontSize * 1.35);
  }

  /** Layer k's caption at input frame t; side by side the panels name their methods. */
  private captionOf(k: number, t: number): FrameCaption {
    return frameCaption(this.panels[0].set, k, t, this.normalization, this.panels.length === 1);
  }

  /** Panel j's method on a band along its top edge, fitted to the panel. */
  private methodBand(ctx: CanvasRenderingContext2D, method: string, j: number): void {
    const { fontSize: size, pad } = this;
    const x = j * this.panelWidth;
    ctx.fillStyle = BAND;
    ctx.fillRect(x, 0, this.panelWidth, size + 2 * pad);
    ctx.font = `bold ${size}px ${FONT}`;
    ctx.fillStyle = COLOURS.detail;
    ctx.textBaseline = 'top';
    ctx.fillText(fit(ctx, method, this.panelWidth - 2 * pad), x + pad, pad);
  }

  /** The caption's lines: title and detail wrapped at their ' · ' separators, the name elided in the middle. */
  private captionLines(ctx: CanvasRenderingContext2D, text: FrameCaption): Line[] {
    const size = this.fontSize;
    const room = this.width - 2 * this.pad;
    const lines: Line[] = [];
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
    return lines;
  }

  /** The caption on a band at the bottom: over the map's edge (one panel), below the row (side by side). */
  private caption(ctx: CanvasRenderingContext2D, lines: readonly Line[]): void {
    const { width, height, fontSize: size, pad, lineHeight: lineH } = this;
    const top = height - lines.length * lineH - 2 * pad;
    if (height > this.mapHeight) {
      ctx.fillStyle = PAGE;
      ctx.fillRect(0, this.mapHeight, width, height - this.mapHeight);
    }
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
