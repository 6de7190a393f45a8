/**
 * Sharing: a PNG of the 3D view, and a WebM of the flythrough (canvas.captureStream +
 * MediaRecorder) from the input to the prediction at the chosen speed.
 */
const HOLD_MS = 600;

export class Recorder {
  private recorder?: MediaRecorder;

  constructor(private readonly canvas: HTMLCanvasElement) {}

  get recording(): boolean {
    return this.recorder !== undefined;
  }

  /** The canvas as a PNG, right after `draw` has rendered into it (same task). */
  png(draw: () => void): Promise<Blob> {
    return new Promise((resolve, reject) => {
      draw();
      this.canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('The browser could not encode the view as PNG'))), 'image/png');
    });
  }

  /** Records until `until` resolves; returns the WebM. */
  async webm(until: Promise<void>, fps = 30): Promise<Blob> {
    if (typeof MediaRecorder === 'undefined' || !this.canvas.captureStream) throw new Error('This browser cannot record the canvas (no MediaRecorder)');
    const type = ['video/webm;codecs=vp9', 'video/webm;codecs=vp8', 'video/webm'].find((t) => MediaRecorder.isTypeSupported(t));
    if (!type) throw new Error('This browser cannot record WebM');
    const stream = this.canvas.captureStream(fps);
    const chunks: Blob[] = [];
    const rec = new MediaRecorder(stream, { mimeType: type, videoBitsPerSecond: 6_000_000 });
    this.recorder = rec;
    rec.ondataavailable = (e) => e.data.size && chunks.push(e.data);
    const stopped = new Promise<void>((resolve) => (rec.onstop = () => resolve()));
    rec.start(250);
    try {
      await until;
      // The last frame held a moment: a pass of a few frames (a short stack, a slow GPU) still makes a playable file.
      await new Promise((r) => setTimeout(r, HOLD_MS));
    } finally {
      rec.stop();
      await stopped;
      stream.getTracks().forEach((t) => t.stop());
      this.recorder = undefined;
    }
    return new Blob(chunks, { type: 'video/webm' });
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
}
