/**
 * The page's state for people and for scripts: the progress line, the error box, the welcome
 * text, and `window.camanim` = { state: 'loading' | 'ready' | 'error', layers, current,
 * goTo(i), frame, frames, goToFrame(t), error, … } with <html data-state> mirroring `state`. Frame times are kept here too.
 */
import type { Normalization } from '@camanim/cam-methods';
import type { CamSet, CamTarget, YbRoadView } from './CamSet.ts';
import type { ComputeRequest } from './ComputePanel.ts';
import type { GalleryTile } from './EvalGallery.ts';
import type { EvalState } from './EvalView.ts';
import type { ViewerError } from './ViewerError.ts';
import type { Rect } from './LabelPacking.ts';
import type { ScreenLabel } from './PlaneLabels.ts';

export type ViewerState = 'loading' | 'ready' | 'error';

export interface FrameStats {
  /** Frames drawn while the camera moved. */
  readonly frames: number;
  readonly meanMs: number;
  readonly medianMs: number;
  readonly p95Ms: number;
  readonly visiblePlanes: number;
}

export interface ViewerApi {
  state: ViewerState;
  layers: { index: number; name: string; opType: string; shape: readonly number[]; mapShape: readonly number[] }[];
  current: number;
  /** The input frame shown (0-based; 0 for an image), and how many the input has (a video's T, 1 for an image). */
  frame: number;
  frames: number;
  /** Planes in the 3D stack (one per layer). */
  planes: number;
  error: string | null;
  errorCode: string | null;
  normalization: Normalization;
  backend: 'webgpu' | 'webgl' | null;
  ybroad: YbRoadView | null;
  /** `contract`: the model contract's summary, null when the bundle has none. */
  explanation: {
    method: string;
    target: CamTarget;
    score: number;
    probability: number | null;
    source: string;
    contract: string | null;
  } | null;
  stats(reset?: boolean): FrameStats;
  goTo(i: number): Promise<void>;
  /** A video: shows input frame t (0-based) at the current layer, the clip paused, and draws. */
  goToFrame(t: number): Promise<void>;
  /** A video: plays the clip at the current layer (looping; pause() stops it). */
  playClip(): void;
  /** A video: whether play() plays each layer's clip as the camera passes it (the CLI's animation). */
  setClipFlythrough(on: boolean): void;
  /** Places the camera at path position u (−1 input … L prediction, fractional between) and draws: a fixed frame for screenshots. */
  seek(u: number): Promise<void>;
  open(url: string): Promise<void>;
  compute(req: ComputeRequest): Promise<void>;
  setNormalization(mode: Normalization): Promise<void>;
  play(): void;
  /** Stops the flythrough and the clip. */
  pause(): void;
  map(i: number, which: 'layer' | 'input'): number[];
  /** The view at the input's aspect (the panels side by side, each at it), as the PNG button saves it: a PNG data URL. */
  snapshot(): Promise<string>;
  /** Layer i's tile of the planes' texture as last painted (the first panel's): RGBA row by row. */
  tile(i: number): Promise<{ width: number; height: number; rgba: number[] } | null>;
  /** The input plane's texture (the image, or the video frame shown) as a PNG data URL (null before a bundle is shown). */
  inputPlane(): string | null;
  /** The prediction card's texture as a PNG data URL (null before a bundle is shown). */
  predictionCard(): string | null;
  /** The plane labels shown and the cards' rectangles as last laid out, in view pixels (null before a bundle). */
  labelLayout(): { labels: ScreenLabel[]; cards: Rect[] } | null;
  /** Per panel, the part of its column's view (CSS pixels) a PNG would show now, or with `flight` a WebM at this point of its flight. */
  exportCrops(flight?: boolean): Rect[];
  /** Shows these explanations of the open bundle side by side (2–4; one: back to a single view). */
  compare(ids: readonly string[]): Promise<void>;
  /** The panels shown: explanation id, method title, the layer each frames and its colour range there. */
  panels(): { explanation: string; method: string; current: number; colorRange: { min: number; max: number } | null }[];
  /** An eval folder shown (?eval=, a dropped one): its curve, layer and gallery; null otherwise. */
  readonly eval: EvalState | null;
  /** Opens an eval folder from a URL (as ?eval=). */
  openEval(url: string): Promise<void>;
  /** The eval gallery's tiles at the current layer: label, prediction, value and the map drawn. */
  gallery(): GalleryTile[];
}

declare global {
  interface Window {
    camanim: ViewerApi;
  }
}

/** What the page's window.camanim API does, as App implements it (the rest is state this class keeps). */
export type ViewerHandlers = Pick<
  ViewerApi,
  | 'goTo'
  | 'goToFrame'
  | 'playClip'
  | 'setClipFlythrough'
  | 'seek'
  | 'open'
  | 'compute'
  | 'setNormalization'
  | 'play'
  | 'pause'
  | 'map'
  | 'snapshot'
  | 'predictionCard'
  | 'tile'
  | 'inputPlane'
  | 'labelLayout'
  | 'exportCrops'
  | 'compare'
  | 'panels'
  | 'openEval'
  | 'gallery'
> & {
  /** What `eval` reads. */
  evalState(): EvalState | null;
};

export class ViewerStatus {
  readonly api: ViewerApi;
  private readonly html: HTMLElement;
  private readonly line: HTMLElement;
  private readonly bar: HTMLProgressElement;
  private readonly message: HTMLElement;
  private readonly welcome: HTMLElement;
  /** The frame and chart panels: hidden until there is an explanation to show (no empty boxes). */
  private readonly panels: HTMLElement[];
  private intervals: number[] = [];
  private lastFrame = 0;
  private visible = 0;
  /** The status line of what is shown (an explanation, an eval folder). */
  private shown = '';
  private showing = false;

  constructor(doc: Document, { evalState, ...handlers }: ViewerHandlers) {
    this.html = doc.documentElement;
    this.line = doc.getElementById('status-line')!;
    this.bar = doc.getElementById('status-bar') as HTMLProgressElement;
    this.message = doc.getElementById('message')!;
    this.welcome = doc.getElementById('welcome')!;
    this.panels = ['frame', 'chart'].map((id) => doc.getElementById(id)!);
    this.api = {
      state: 'loading',
      layers: [],
      current: 0,
      frame: 0,
      frames: 1,
      planes: 0,
      error: null,
      errorCode: null,
      normalization: 'global',
      backend: null,
      ybroad: null,
      explanation: null,
      stats: (reset) => this.stats(reset),
      ...handlers,
      get eval() {
        return evalState();
      },
    };
    window.camanim = this.api;
    this.setState('loading');
  }

  set current(k: number) {
    this.api.current = k;
  }

  set inputFrame(t: number) {
    this.api.frame = t;
  }

  set normalization(m: Normalization) {
    this.api.normalization = m;
  }

  set backend(b: 'webgpu' | 'webgl') {
    this.api.backend = b;
    this.html.dataset.backend = b;
  }

  loading(stage: string, done?: number, total?: number): void {
    this.setState('loading');
    this.line.textContent = `${stage}${total ? ` (${done ?? 0}/${total})` : ''}…`;
    this.bar.hidden = false;
    if (total) {
      this.bar.max = total;
      this.bar.value = done ?? 0;
    } else {
      this.bar.removeAttribute('value');
    }
  }

  /** Work finished without a new view (e.g. a model loaded, waiting for an image; an export): the line is back to what is shown. */
  settle(): void {
    this.bar.hidden = true;
    this.line.textContent = this.showing ? this.shown : '';
    if (this.api.state !== 'error' || this.showing) this.setState('ready');
    this.welcome.hidden = this.showing;
  }

  ready(set: CamSet, planes: number): void {
    this.api.planes = planes;
    this.api.frames = set.frames;
    this.api.layers = set.layers.map((l) => ({
      index: l.index,
      name: l.name,
      opType: l.opType,
      shape: [...l.shape],
      mapShape: [...l.mapShape],
    }));
    this.api.ybroad = set.ybroad ?? null;
    this.api.explanation = {
      method: set.info.method,
      target: set.info.target,
      score: set.info.score,
      probability: set.info.probability ?? null,
      source: set.info.source,
      contract: set.info.contract?.summary ?? null,
    };
    const frames = set.frames > 1 ? ` · ${set.frames} frames` : '';
    this.showReady(`${set.info.source} · ${set.layers.length} layers${frames} · ${set.info.method}`, true);
  }

  /** An eval folder is shown: the chart panel (its curve) without the 2D frame; `line` for the status line. */
  readyEval(line: string): void {
    this.api.planes = 0;
    this.api.frames = 1;
    this.api.layers = [];
    this.api.ybroad = null;
    this.api.explanation = null;
    this.showReady(line, false);
  }

  /** Something is shown (with the 2D frame panel or not): no error, no welcome, `line` in the status line. */
  private showReady(line: string, frame: boolean): void {
    this.api.error = null;
    this.api.errorCode = null;
    this.message.hidden = true;
    this.welcome.hidden = true;
    this.bar.hidden = true;
    const [framePanel, chartPanel] = this.panels;
    framePanel.hidden = !frame;
    chartPanel.hidden = false;
    this.showing = true;
    this.shown = line;
    this.line.textContent = line;
    this.setState('ready');
  }

  fail(err: ViewerError): void {
    this.api.error = err.message;
    this.api.errorCode = err.code;
    this.bar.hidden = true;
    this.line.textContent = '';
    this.welcome.hidden = true;
    this.message.hidden = false;
    this.message.replaceChildren();
    const h = document.createElement('strong');
    h.textContent = TITLES[err.code] ?? 'Something went wrong';
    const p = document.createElement('p');
    p.dataset.role = 'error-text';
    p.textContent = err.message;
    const close = document.createElement('button');
    close.textContent = 'Dismiss';
    close.onclick = () => (this.message.hidden = true);
    this.message.append(h, p, close);
    this.setState('error');
  }

  frame(time: number, moving: boolean, visible: number): void {
    if (moving && this.lastFrame) this.intervals.push(time - this.lastFrame);
    if (this.intervals.length > 2000) this.intervals.splice(0, 1000);
    this.lastFrame = moving ? time : 0;
    this.visible = visible;
  }

  private stats(reset = false): FrameStats {
    const xs = [...this.intervals].sort((a, b) => a - b);
    const out = {
      frames: xs.length,
      meanMs: xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN,
      medianMs: xs.length ? (xs[(xs.length - 1) >> 1] + xs[xs.length >> 1]) / 2 : NaN,
      p95Ms: xs.length ? xs[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))] : NaN,
      visiblePlanes: this.visible,
    };
    if (reset) this.intervals = [];
    return out;
  }

  private setState(s: ViewerState): void {
    this.api.state = s;
    this.html.dataset.state = s;
  }
}

const TITLES: Record<string, string> = {
  'bad-bundle': 'This bundle cannot be read',
  'bad-eval': 'This eval folder cannot be read',
  'missing-file': 'A file is missing',
  'short-file': 'A file of the bundle is too short',
  'bad-version': 'Unknown bundle version',
  'bad-image': 'The image cannot be decoded',
  'bad-model': 'This is not a model camanim can read',
  'unsupported-op': 'The model uses an operator camanim does not support',
  'no-webgpu': 'WebGPU is needed for this',
  fetch: 'Could not fetch a file',
  'bad-request': 'This cannot be computed',
  export: 'The export failed',
  internal: 'Something went wrong',
};
