/** What every benchmark section shares: options, the camanim runtime, models, the browser. */
import { availableParallelism } from 'node:os';
import { loadModel, type Model, type Runtime } from '@camanim/core';
import { openBrowser, type BrowserSession } from './browser.ts';
import { benchModel } from './env.ts';
import { firstLine, progress, randomInput, type Timing } from './measure.ts';
import { openViewer, type ViewerSession } from './viewer.ts';

export interface Options {
  /** ResNet-18 only, fewer repetitions. */
  readonly quick: boolean;
  /** Skip everything that needs headless Chromium. */
  readonly noBrowser: boolean;
  /** Skip the TensorFlow.js row. */
  readonly noTfjs: boolean;
  /** Also measure onnxruntime-web rows estimated to exceed their time budget. */
  readonly webAll: boolean;
  /** Multiplies repetition counts and time budgets (--scale). */
  readonly scale: number;
}

export const SIZE = 224;

export class Context {
  private browser?: Promise<BrowserSession | { skip: string }>;
  private viewerSession?: Promise<ViewerSession | { skip: string }>;
  private readonly models = new Map<string, Promise<{ model: Model; file: string } | { skip: string; file?: string }>>();
  readonly threads = availableParallelism();
  /** Timings one section measured that a later one may reuse (same run, same conditions). */
  readonly results = new Map<string, Timing>();

  constructor(
    readonly opts: Options,
    readonly runtime: Runtime,
  ) {}

  get adapter(): string {
    return this.runtime.device.adapterInfo;
  }

  /** Repetition counts and per-row time budgets, scaled down in quick mode. */
  reps(full: number, quick = Math.max(1, Math.ceil(full / 2))): number {
    return Math.max(1, Math.round((this.opts.quick ? quick : full) * this.opts.scale));
  }

  budget(ms: number): number {
    return ms * this.opts.scale * (this.opts.quick ? 0.5 : 1);
  }

  /** bench-models/<name>.onnx, exported on demand; and camanim's Model of it, loaded once (or why not). */
  model(name: string): Promise<{ model: Model; file: string } | { skip: string; file?: string }> {
    let m = this.models.get(name);
    if (!m) {
      m = (async () => {
        const found = await benchModel(name);
        if ('skip' in found) return found;
        progress(`loading ${name} into camanim`);
        try {
          return { model: await loadModel(found.file, { runtime: this.runtime }), file: found.file };
        } catch (e) {
          return { skip: `camanim cannot load ${name}: ${firstLine(e)}`, file: found.file };
        }
      })();
      this.models.set(name, m);
    }
    return m;
  }

  /** Headless Chromium, started on first use and shared by the sections. */
  chromium(): Promise<BrowserSession | { skip: string }> {
    if (this.opts.noBrowser) return Promise.resolve({ skip: 'browser rows skipped (--no-browser)' });
    this.browser ??= openBrowser();
    return this.browser;
  }

  /** The viewer in its own headless Chromium (canvas composited), started on first use. */
  viewer(): Promise<ViewerSession | { skip: string }> {
    if (this.opts.noBrowser) return Promise.resolve({ skip: 'browser rows skipped (--no-browser)' });
    this.viewerSession ??= openViewer();
    return this.viewerSession;
  }

  async close(): Promise<void> {
    for (const b of [await this.browser, await this.viewerSession]) if (b && !('skip' in b)) await b.close();
    for (const m of this.models.values()) {
      const r = await m;
      if (!('skip' in r)) r.model.dispose();
    }
  }
}

/** The benchmark input: deterministic, [batch, 3, 224, 224] (the page makes the same values). */
export function benchInput(batch: number): { data: Float32Array; shape: number[] } {
  return { data: randomInput(batch * 3 * SIZE * SIZE), shape: [batch, 3, SIZE, SIZE] };
}

export function argmax(xs: ArrayLike<number>, from = 0, to = xs.length): number {
  let best = from;
  for (let i = from; i < to; i++) if (xs[i] > xs[best]) best = i;
  return best - from;
}

/** max |a − b| / max |b| over the first min(len) values. */
export function scaledError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= num)) num = Number.isNaN(d) ? Infinity : d;
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / Math.max(den, 1e-12);
}
