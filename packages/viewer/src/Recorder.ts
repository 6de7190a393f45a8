/**
 * Sharing the 3D view: a PNG of it, and a WebM of the flythrough (MediaRecorder) from the
 * input to the prediction at the chosen speed. Both are of boxes of the canvas at the input
 * image's aspect (one per panel, side by side in the file), copied into a canvas of their own,
 * so that the file has the input's shape whatever the page's.
 */
import type { Rect } from './LabelPacking.ts';
import { BACKGROUND } from './StackScene.ts';
import { ViewerError } from './ViewerError.ts';

const HOLD_MS = 600;

/** A box of the canvas in device pixels, from its top left. */
export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * The largest box of `aspect` (width / height) centred in a w×h canvas, in whole device pixels
 * and even-sized (VP8 and VP9 code even sizes). Each side is rounded from the other once more,
 * so the rounding leaves the aspect off by less than two pixels of the longer side.
 */
export function centredBox(w: number, h: number, aspect: number): Box {
  const even = (v: number) => Math.max(2, 2 * Math.floor(v / 2));
  const width = even(Math.min(w, even(Math.min(h, w / aspect)) * aspect));
  const height = even(Math.min(h, width / aspect));
  return { x: Math.floor((w - width) / 2), y: Math.floor((h - height) / 2), width, height };
}

/**
 * The part of a w×h view an export shows: the centred box of `aspect` (what a crop of the view
 * gives), grown around its centre while it cannot hold the plane `focus` with `margin` around
 * it, then moved the least that brings the plane in. Fractional view pixels; it may reach past
 * the view, whose projection goes on there (the camera's setViewOffset draws it).
 */
export function exportCrop(w: number, h: number, aspect: number, focus: Rect | undefined, margin = 8): Rect {
  let width = Math.min(w, h * aspect);
  let height = width / aspect;
  let x = (w - width) / 2;
  let y = (h - height) / 2;
  if (!focus) return { x, y, width, height };
  const grow = Math.max(1, (focus.width + 2 * margin) / width, (focus.height + 2 * margin) / height);
  [x, y, width, height] = [x - ((grow - 1) * width) / 2, y - ((grow - 1) * height) / 2, width * grow, height * grow];
  const shift = (at: number, size: number, lo: number, hi: number) => Math.min(Math.max(at, hi + margin - size), lo - margin);
  return {
    x: shift(x, width, focus.x, focus.x + focus.width),
    y: shift(y, height, focus.y, focus.y + focus.height),
    width,
    height,
  };
}

/** a + (b − a)·f, side by side. */
export function blendBox(a: Box, b: Box, f: number): Box {
  const mix = (x: number, y: number) => x + (y - x) * f;
  return { x: mix(a.x, b.x), y: mix(a.y, b.y), width: mix(a.width, b.width), height: mix(a.height, b.height) };
}

export class Recorder {
  private recording?: CanvasRenderingContext2D;

  constructor(private readonly canvas: HTMLCanvasElement) {}

  get busy(): boolean {
    return this.recording !== undefined;
  }

  /** `boxes` of the canvas side by side as a PNG, right after the view was drawn (same task: a WebGPU canvas is read before it is presented). */
  png(boxes: readonly Box[]): Promise<Blob> {
    const out = exportCanvas(...size(boxes));
    this.paste(boxes, out);
    return new Promise((resolve, reject) =>
      out.canvas.toBlob(
        (b) =>
          b
            ? resolve(b)
            : reject(
                new ViewerError(
                  'export',
                  `The browser could not encode the ${out.canvas.width}×${out.canvas.height} view as PNG`,
                  undefined,
                  'Try again, in a smaller window if it persists',
                ),
              ),
        'image/png',
      ),
    );
  }

  /**
   * Records `boxes` of the canvas side by side until `until` resolves; returns the WebM. The
   * page calls `frame` after each draw meanwhile.
   */
  async webm(boxes: readonly Box[], until: Promise<void>, fps = 30): Promise<Blob> {
    const hint = 'Use Chrome, Edge or Firefox, or export the GIF, which needs nothing from the browser';
    if (typeof MediaRecorder === 'undefined' || !HTMLCanvasElement.prototype.captureStream)
      throw new ViewerError('export', 'This browser cannot record a canvas (no MediaRecorder)', undefined, hint);
    const type = ['video/webm;codecs=vp9', 'video/webm;codecs=vp8', 'video/webm'].find((t) => MediaRecorder.isTypeSupported(t));
    if (!type) throw new ViewerError('export', 'This browser cannot record WebM', undefined, hint);
    const out = exportCanvas(...size(boxes));
    // Until the first frame is copied the video shows the stack's background, not transparent black.
    out.fillStyle = `#${BACKGROUND.getHexString()}`;
    out.fillRect(0, 0, out.canvas.width, out.canvas.height);
    const stream = out.canvas.captureStream(fps);
    const chunks: Blob[] = [];
    const recorder = new MediaRecorder(stream, { mimeType: type, videoBitsPerSecond: 6_000_000 });
    this.recording = out;
    recorder.ondataavailable = (e) => e.data.size && chunks.push(e.data);
    const stopped = new Promise<void>((resolve) => (recorder.onstop = () => resolve()));
    recorder.start(250);
    try {
      await until;
      // The last frame held a moment: a pass of a few frames (a short stack, a slow GPU) still makes a playable file.
      await new Promise((r) => setTimeout(r, HOLD_MS));
    } finally {
      recorder.stop();
      await stopped;
      stream.getTracks().forEach((t) => t.stop());
      this.recording = undefined;
    }
    return new Blob(chunks, { type: 'video/webm' });
  }

  /** While recording: `boxes` of the canvas, just drawn, into the video. */
  frame(boxes: readonly Box[]): void {
    if (this.recording) this.paste(boxes, this.recording);
  }

  static download(blob: Blob, name: string): void {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }

  /** The boxes side by side over the whole of `out` (scaled, should the window have been resized while recording). */
  private paste(boxes: readonly Box[], out: CanvasRenderingContext2D): void {
    const [w, h] = size(boxes);
    const sx = out.canvas.width / w;
    const sy = out.canvas.height / h;
    let x = 0;
    for (const b of boxes) {
      out.drawImage(this.canvas, b.x, b.y, b.width, b.height, x * sx, 0, b.width * sx, b.height * sy);
      x += b.width;
    }
  }
}

/** The boxes side by side: their widths summed, the tallest one's height. */
function size(boxes: readonly Box[]): [number, number] {
  return [boxes.reduce((s, b) => s + b.width, 0), Math.max(...boxes.map((b) => b.height))];
}

/** A detached 2D canvas of width×height for an export to be drawn into. */
export function exportCanvas(
  width: number,
  height: number,
  settings?: CanvasRenderingContext2DSettings,
): CanvasRenderingContext2D {
  const c = document.createElement('canvas');
  c.width = width;
  c.height = height;
  const ctx = c.getContext('2d', settings);
  if (!ctx)
    throw new ViewerError(
      'export',
      `The browser gave no 2D canvas of ${width}×${height} to export into`,
      undefined,
      'Reload the page and try again, in a smaller window if it persists',
    );
  return ctx;
}
