/**
 * One animation frame: image panels (a CAM overlay each, captioned), a colorbar, and a label
 * strip naming the layer (position/count, ONNX name, op type, shape), the method and the target
 * class with its score. Composed with sharp; text is an SVG overlay (DejaVu fonts through
 * fontconfig).
 */
import { availableParallelism } from 'node:os';
import sharp, { type OverlayOptions } from 'sharp';
import { COLORBAR_WIDTH } from './colorbar.ts';

export interface FrameLayout {
  readonly panelW: number;
  readonly panelH: number;
  readonly panels: number;
  readonly fontSize: number;
  readonly width: number;
  readonly height: number;
  readonly pad: number;
  readonly gap: number;
  readonly captionH: number;
  readonly lineH: number;
}

export interface FrameText {
  /** Bold first line, e.g. "layer 3/40 · Conv · [1, 16, 48, 48]". */
  readonly title: string;
  /** The ONNX tensor name. */
  readonly name: string;
  /** Method and target, e.g. "Grad-CAM · Sneaker (class 7) · logit 8.21 · p 0.97". */
  readonly detail: string;
}

export interface Panel {
  /** RGBA, panelW × panelH. */
  readonly rgba: Uint8Array;
  readonly caption: string;
}

const BACKGROUND = { r: 17, g: 17, b: 17, alpha: 1 };
const FONT = "'DejaVu Sans Mono', 'Liberation Mono', monospace";
/** Advance of a DejaVu Sans Mono glyph, in em. */
const CHAR_EM = 0.602;
const CB_AREA = 10 + COLORBAR_WIDTH + 6 + 30;

export function frameLayout(panelW: number, panelH: number, panels: number): FrameLayout {
  const fontSize = Math.max(11, Math.min(16, Math.round(panelW / 30)));
  const pad = 10;
  const gap = 10;
  const captionH = fontSize + 8;
  const lineH = Math.round(fontSize * 1.45);
  const width = even(pad + panels * panelW + (panels - 1) * gap + CB_AREA + pad);
  const height = even(pad + captionH + panelH + 8 + 3 * lineH + pad);
  return { panelW, panelH, panels, fontSize, width, height, pad, gap, captionH, lineH };
}

/**
 * Frames 0 … count − 1 of one layout and colorbar, in order, composed a few at a time: sharp
 * works on libuv's threads, so composing one frame after the other kept a single core busy
 * (119 frames of 560×602: 1.93 s one at a time, 0.95 s two at a time on 2 cores).
 * `onFrame` gets each frame in order, as soon as it and those before it are done: work on the
 * main thread there (a GIF's encoding) overlaps the composing of the next ones.
 */
export async function composeFrames(
  layout: FrameLayout,
  colorbar: Uint8Array,
  count: number,
  frame: (i: number) => { readonly panels: readonly Panel[]; readonly text: FrameText },
  onFrame?: (frame: Buffer, i: number) => void,
): Promise<Buffer[]> {
  const out: Buffer[] = new Array(count);
  let [next, delivered, failed] = [0, 0, false];
  const worker = async () => {
    try {
      for (let i = next++; i < count && !failed; i = next++) {
        const { panels, text } = frame(i);
        out[i] = await composeFrame(layout, panels, colorbar, text);
        for (; delivered < count && out[delivered]; delivered++) onFrame?.(out[delivered], delivered);
      }
    } catch (e) {
      // The others stop at their next frame: nothing composed or handed over after a failure.
      failed = true;
      throw e;
    }
  };
  await Promise.all(Array.from({ length: Math.min(count, availableParallelism()) }, worker));
  return out;
}

/** RGBA bytes of the whole frame (layout.width × layout.height). */
export async function composeFrame(
  layout: FrameLayout,
  panels: readonly Panel[],
  colorbar: Uint8Array,
  text: FrameText,
): Promise<Buffer> {
  const { pad, gap, captionH, panelW, panelH, fontSize, lineH } = layout;
  const top = pad + captionH;
  const layers: OverlayOptions[] = panels.map((p, k) => ({
    input: Buffer.from(p.rgba.buffer, p.rgba.byteOffset, p.rgba.byteLength),
    raw: { width: panelW, height: panelH, channels: 4 },
    left: pad + k * (panelW + gap),
    top,
  }));
  const cbLeft = pad + panels.length * panelW + (panels.length - 1) * gap + 10;
  layers.push({
    input: Buffer.from(colorbar.buffer, colorbar.byteOffset, colorbar.byteLength),
    raw: { width: COLORBAR_WIDTH, height: panelH, channels: 4 },
    left: cbLeft,
    top,
  });
  const svg: string[] = [];
  const small = Math.round(fontSize * 0.85);
  panels.forEach((p, k) =>
    svg.push(textEl(pad + k * (panelW + gap), pad + fontSize, fontSize, fit(p.caption, panelW, fontSize), '#cfcfcf')),
  );
  const tickX = cbLeft + COLORBAR_WIDTH + 4;
  svg.push(textEl(tickX, top + small, small, '1.0', '#cfcfcf'));
  svg.push(textEl(tickX, top + panelH / 2 + small / 2, small, '0.5', '#cfcfcf'));
  svg.push(textEl(tickX, top + panelH, small, '0.0', '#cfcfcf'));
  const textW = layout.width - 2 * pad;
  const y0 = top + panelH + 8;
  svg.push(textEl(pad, y0 + fontSize, fontSize, fit(text.title, textW, fontSize), '#ffffff', true));
  svg.push(textEl(pad, y0 + lineH + fontSize, fontSize, fit(text.name, textW, fontSize), '#9ad0ff'));
  svg.push(textEl(pad, y0 + 2 * lineH + fontSize, fontSize, fit(text.detail, textW, fontSize), '#ffe08a'));
  layers.push({ input: Buffer.from(svgDoc(layout.width, layout.height, svg)), left: 0, top: 0 });
  return sharp({ create: { width: layout.width, height: layout.height, channels: 4, background: BACKGROUND } })
    .composite(layers)
    .raw()
    .toBuffer();
}

export function svgDoc(width: number, height: number, body: readonly string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${body.join('')}</svg>`;
}

export function textEl(x: number, y: number, size: number, text: string, fill: string, bold = false): string {
  return `<text x="${x}" y="${y}" font-family="${FONT}" font-size="${size}"${bold ? ' font-weight="bold"' : ''} fill="${fill}" xml:space="preserve">${escapeXml(text)}</text>`;
}

/** Shortens `text` to fit `width` pixels, cutting the middle (ONNX names keep both ends). */
export function fit(text: string, width: number, size: number): string {
  const max = Math.max(4, Math.floor(width / (size * CHAR_EM)));
  if (text.length <= max) return text;
  const head = Math.ceil((max - 1) / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (max - 1 - head))}`;
}

export function escapeXml(s: string): string {
  return s
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

function even(n: number): number {
  return n + (n % 2);
}

/** A number for labels: 3 significant-ish digits, exponent outside 0.01..1000. */
export function fmt(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1000 || a < 0.01 ? x.toExponential(2) : x.toFixed(a >= 100 ? 1 : a >= 10 ? 2 : 3);
}
