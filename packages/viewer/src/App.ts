/**
 * The page: one renderer (three.js WebGPURenderer on the core's GPUDevice, or its WebGL
 * backend where the browser has no WebGPU), the 3D stack with its camera, the 2D frame and
 * the ybROAD chart kept in sync (a video's at one input frame: the time bar, its clip playing at a
 * layer or through the flythrough), the controls, the ways in (bundle by drop/pick/URL, compute
 * in the page, an eval folder by drop/pick/URL shown as its curve and gallery: EvalView), and
 * window.camanim / <html data-state> for scripts and tests.
 */
import { LinearSRGBColorSpace, NoToneMapping, WebGPURenderer } from 'three/webgpu';
import { acquireDevice, type Device } from '@camanim/core';
import type { Normalization } from '@camanim/cam-methods';
import { BrowserCompute } from './BrowserCompute.ts';
import { BundleReader } from './BundleReader.ts';
import { BundleSource, EVAL_FOLDER } from './BundleSource.ts';
import { CameraRig } from './CameraRig.ts';
import { ClipClock } from './ClipClock.ts';
import { sharedRanges, type CamSet } from './CamSet.ts';
import type { PaintStyle } from './Colormap.ts';
import { ComputePanel, type ComputeRequest, type DefaultAssets } from './ComputePanel.ts';
import { Controls } from './Controls.ts';
import { DropZone, type Dropped } from './DropZone.ts';
import { EvalFolder } from './EvalFolder.ts';
import { EvalView } from './EvalView.ts';
import { FrameGif } from './FrameGif.ts';
import { FramePanel } from './FramePanel.ts';
import { blendBox, centredBox, exportCrop, Recorder, type Box } from './Recorder.ts';
import { screenRect } from './PlaneLabels.ts';
import { column, MAX_PANELS, SidePanel } from './SidePanel.ts';
import { MetricChart } from './MetricChart.ts';
import { clipFps, clipFrameAt } from './Playback.ts';
import { StackLayout } from './StackLayout.ts';
import { BACKGROUND } from './StackScene.ts';
import { TimeControl } from './TimeControl.ts';
import { UrlState } from './UrlState.ts';
import { ViewerError } from './ViewerError.ts';
import { ViewerStatus, type ViewerHandlers } from './ViewerStatus.ts';

export class App {
  private renderer!: WebGPURenderer;
  private device?: Device;
  /** One per explanation shown (side by side: 2–4); the first drives the frame, the chart and the controls. */
  private panels: SidePanel[] = [];
  private rig?: CameraRig;
  private source?: BundleSource;
  private bundleUrl?: string;
  /** The eval folder shown instead of a stack, and its URL. */
  private evalView?: EvalView;
  private evalUrl?: string;
  private explanation?: string;
  private norm: Normalization;
  private current = 0;
  /** A video's input frame shown (0 for an image). */
  private frameIndex = 0;
  private readonly clip = new ClipClock();
  private dirty = true;
  private lastTime = 0;
  private afterRender: (() => void)[] = [];
  private readonly status: ViewerStatus;
  private readonly controls: Controls;
  private readonly time: TimeControl;
  private readonly frame: FramePanel;
  private readonly chart: MetricChart;
  private readonly compute: ComputePanel;
  private readonly recorder: Recorder;
  private readonly canvas: HTMLCanvasElement;
  private readonly evalRoot: HTMLElement;
  private readonly chartRoot: HTMLElement;
  private urlTimer = 0;

  constructor(private readonly doc: Document) {
    const $ = (id: string) => doc.getElementById(id)!;
    this.canvas = $('view') as HTMLCanvasElement;
    this.evalRoot = $('eval');
    this.chartRoot = $('chart');
    this.status = new ViewerStatus(doc, this.apiHandlers());
    const url = UrlState.read();
    this.norm = url.norm ?? 'global';
    this.controls = new Controls($('controls'), {
      toggle: () => this.setFlying(!this.rig?.playing),
      step: (d) => void this.goTo((this.evalView?.layer ?? this.current) + d),
      seek: (k) => void this.goTo(k),
      speed: (v) => this.setSpeed(v),
      normalization: (m) => this.setNormalization(m),
      style: () => this.repaint(),
      explanation: (id) => void this.switchExplanation(id),
      compare: () => {
        const all = this.set?.info.alternatives.map((a) => a.id) ?? [];
        void this.compare(this.panels.length > 1 ? [this.explanation ?? all[0]] : all);
      },
      png: () => void this.exportPng(),
      webm: () => void this.exportWebm(),
      gif: () => void this.exportGif(),
    });
    this.time = new TimeControl($('time'), {
      seek: (t) => void this.goToFrame(t),
      step: (d) => void this.goToFrame(this.frameIndex + d),
      toggle: () => this.setClipPlaying(!this.clip.playing),
      clipFlythrough: (on) => this.setClipFlythrough(on),
    });
    this.controls.setNormalization(this.norm);
    this.controls.setSpeed(url.speed ?? 2);
    this.controls.setLayers(0);
    this.frame = new FramePanel($('frame'));
    this.chart = new MetricChart(this.chartRoot);
    this.chart.onScrub = (k) => void this.goTo(k);
    this.compute = new ComputePanel($('compute'), {
      busy: (stage, done, total) => (stage ? this.status.loading(stage, done, total) : this.status.settle()),
      result: (set) => {
        this.source = undefined;
        this.explanation = undefined;
        this.show([set], {});
      },
      error: (e) => this.fail(e),
    });
    this.recorder = new Recorder(this.canvas);
    new DropZone(doc.body, (d) => void this.dropped(d));
    const folder = $('open-folder') as HTMLInputElement;
    const files = $('open-files') as HTMLInputElement;
    folder.onchange = () => void this.dropped(DropZone.fromInput(folder));
    files.onchange = () => void this.dropped(DropZone.fromInput(files));
    this.explanation = url.method;
  }

  async start(): Promise<void> {
    this.status.loading('starting');
    try {
      const why = await this.initDevice();
      this.renderer = new WebGPURenderer({
        canvas: this.canvas,
        device: this.device?.gpu,
        forceWebGL: !this.device,
        antialias: !this.device?.onCpu,
        preserveDrawingBuffer: true,
      } as never);
      await this.renderer.init();
      this.renderer.outputColorSpace = LinearSRGBColorSpace;
      this.renderer.toneMapping = NoToneMapping;
      // Cleared once a frame, then each panel drawn into its column (a scene background would clear the others).
      this.renderer.autoClear = false;
      this.renderer.setClearColor(BACKGROUND);
      this.renderer.setPixelRatio(Math.min(2, devicePixelRatio));
      this.status.backend = this.device ? 'webgpu' : 'webgl';
      this.compute.setDevice(this.device ? new BrowserCompute(this.device) : undefined, why);
      this.doc.getElementById('gpu')!.textContent = this.device
        ? `WebGPU · ${this.device.adapterInfo}`
        : 'WebGL (no WebGPU: bundles only)';
      new ResizeObserver(() => this.resize()).observe(this.canvas.parentElement!);
      this.resize();
      this.renderer.setAnimationLoop((t) => this.tick(t));
      void this.loadAssets();
    } catch (e) {
      this.fail(e);
      return;
    }
    const url = UrlState.read();
    if (url.bundle) await this.openUrl(url.bundle);
    else if (url.eval) await this.openEvalUrl(url.eval);
    else this.status.settle();
  }

  /** Opens a bundle from a URL (?bundle=, window.camanim.open). */
  async openUrl(url: string): Promise<void> {
    this.status.loading('fetching the bundle');
    try {
      const source = await BundleSource.fromUrl(url);
      await this.openBundle(source, url);
    } catch (e) {
      this.fail(e);
    }
  }

  /** Opens an eval folder from a URL (?eval=, window.camanim.openEval). */
  async openEvalUrl(url: string): Promise<void> {
    this.status.loading('fetching the eval folder');
    try {
      await this.openEval(await BundleSource.fromUrl(url, location.href, EVAL_FOLDER), url);
    } catch (e) {
      this.fail(e);
    }
  }

  async goTo(k: number): Promise<void> {
    if (this.evalView) return this.evalView.setLayer(k);
    const rig = this.rig;
    if (!rig || !this.set) return;
    const target = Math.min(this.set.layers.length - 1, Math.max(0, Math.round(k)));
    rig.setPlaying(false);
    await rig.flyTo(target);
    await this.nextFrame();
  }

  /** A video: shows input frame t at the current layer (the clip paused). */
  async goToFrame(t: number): Promise<void> {
    const set = this.set;
    if (!set || set.frames < 2) return;
    this.setClipPlaying(false);
    this.rig?.setPlaying(false);
    this.setFrame(Math.min(set.frames - 1, Math.max(0, Math.round(t))));
    await this.nextFrame();
  }

  /** Plays or stops the flythrough; playing it stops the clip. */
  private setFlying(on: boolean): void {
    if (on) this.setClipPlaying(false);
    this.rig?.setPlaying(on);
  }

  /** Plays or stops the clip at the current layer (a video); playing it stops the flythrough. */
  private setClipPlaying(on: boolean): void {
    const playing = on && (this.set?.frames ?? 1) > 1;
    if (playing) this.rig?.setPlaying(false);
    this.clip.setPlaying(playing);
    this.time.setPlaying(playing);
  }

  /** Whether the flythrough plays each layer's clip as it passes (the CLI's animation). */
  private setClipFlythrough(on: boolean): void {
    this.time.setClipFlythrough(on);
    if (this.rig) this.rig.clipFrames = on ? (this.set?.frames ?? 1) : 1;
  }

  private get set(): CamSet | undefined {
    return this.panels[0]?.set;
  }

  /** Explanations of the open bundle side by side (ids as in ?method=; one id: back to one view). */
  async compare(ids: readonly string[]): Promise<void> {
    const src = this.source;
    if (!src || !this.set) return;
    try {
      const wanted = [...new Set(ids)].slice(0, MAX_PANELS);
      this.status.loading('reading the bundle');
      const sets = await Promise.all(wanted.map((id) => new BundleReader(src).read({ method: id })));
      this.explanation = wanted[0];
      this.show(sets, { bundle: this.bundleUrl, keepLayer: true, ids: wanted });
    } catch (e) {
      this.fail(e);
    }
  }

  private async openBundle(source: BundleSource, url?: string): Promise<void> {
    this.status.loading('reading the bundle');
    const set = await new BundleReader(source).read({ method: this.explanation });
    this.source = source;
    this.show([set], { bundle: url });
  }

  /** Shows an eval folder (its curve and the gallery of a layer) in place of the stack. */
  private async openEval(source: BundleSource, url?: string): Promise<void> {
    this.status.loading('reading the eval folder');
    const folder = await EvalFolder.read(source);
    const wanted = UrlState.read();
    this.closeEval();
    this.clearScene();
    this.source = undefined;
    this.bundleUrl = undefined;
    this.canvas.hidden = true;
    const view = new EvalView(
      folder,
      this.evalRoot,
      this.chartRoot,
      {
        style: () => this.controls.style(),
        progress: (done, total) => this.status.loading('reading the gallery', done, total),
        settled: () => this.status.settle(),
        changed: () => {
          this.controls.setCurrent(view.layer);
          this.writeUrl();
        },
      },
      { curve: wanted.method, layer: wanted.layer },
    );
    this.evalView = view;
    this.evalUrl = url;
    this.controls.setLayers(view.layerCount);
    this.controls.setCurrent(view.layer);
    this.controls.setExplanations([], '');
    const a = folder.aggregates;
    this.status.readyEval(`eval folder ${source.description} · ${a.images} images · ${view.layerCount} layers`);
    this.writeUrl();
    await view.start();
    if (folder.galleryError) this.fail(folder.galleryError);
  }

  private closeEval(): void {
    this.evalView?.dispose();
    this.evalView = undefined;
    this.evalUrl = undefined;
    this.canvas.hidden = false;
  }

  private async switchExplanation(id: string): Promise<void> {
    if (!this.source) return;
    this.explanation = id;
    try {
      this.status.loading('reading the bundle');
      const set = await new BundleReader(this.source).read({ method: id });
      this.show([set], { bundle: this.bundleUrl, keepLayer: true });
    } catch (e) {
      this.fail(e);
    }
  }

  private async dropped(d: Promise<Dropped>): Promise<void> {
    try {
      this.status.loading('reading the dropped files');
      const what = await d;
      if (what.kind === 'bundle') {
        this.explanation = undefined;
        await this.openBundle(what.source);
      } else if (what.kind === 'eval') {
        await this.openEval(what.source);
      } else {
        await this.compute.take(what.files);
        this.status.settle();
      }
    } catch (e) {
      this.fail(e);
    }
  }

  /** Replaces what is shown: per explanation an atlas, stack and labels, one camera path; chart and frame follow the first. */
  private show(sets: readonly CamSet[], opts: { bundle?: string; keepLayer?: boolean; ids?: readonly string[] }): void {
    const keep = opts.keepLayer ? this.current : undefined;
    const keepFrame = opts.keepLayer ? this.frameIndex : undefined;
    this.closeEval();
    this.clearScene();
    const set = sets[0];
    this.bundleUrl = opts.bundle;
    const stackLayout = new StackLayout({
      inputW: set.width,
      inputH: set.height,
      mapShapes: set.layers.map((l) => l.mapShape),
      stages: set.stages(),
    });
    const stage = this.canvas.parentElement!;
    this.panels = sets.map(
      (s, i) => new SidePanel(s, opts.ids?.[i] ?? this.explanation ?? '', stackLayout, stage, this.device?.gpu, [i, sets.length]),
    );
    this.rig = new CameraRig(stackLayout, this.canvas, this.aspect());
    this.rig.speed = Number((this.doc.querySelector('[data-role=speed]') as HTMLSelectElement).value) || 2;
    this.rig.onPlayingChange = (p) => this.controls.setPlaying(p);
    this.time.setFrames(set.frames);
    this.frameIndex = Math.min(set.frames - 1, keepFrame ?? UrlState.read().frame ?? 0);
    this.time.setCurrent(this.frameIndex);
    this.status.inputFrame = this.frameIndex;
    this.setClipFlythrough(this.time.clipFlythrough);
    this.repaint();
    this.chart.show(set);
    this.controls.setLayers(set.layers.length);
    this.controls.setExplanations(set.info.alternatives, this.explanation ?? set.info.alternatives[0]?.id ?? '');
    this.controls.setComparing(sets.length > 1);
    const start = keep ?? UrlState.read().layer ?? 0;
    this.current = -1;
    this.rig.u = Math.min(set.layers.length - 1, start);
    void this.rig.flyTo(this.rig.u, 0.001);
    this.setCurrent(this.rig.layer);
    this.status.ready(set, this.panels[0].stack.planeCount);
    this.writeUrl();
  }

  private clearScene(): void {
    this.rig?.dispose();
    this.panels.forEach((p) => p.dispose());
    this.panels = [];
    this.rig = undefined;
    this.setClipPlaying(false);
    this.time.setFrames(1);
    this.dirty = true;
  }

  private tick(time: number): void {
    // Slow frames (a software GPU) still fly in real time; only a pause longer than 1 s (a hidden tab) is cut short.
    const dt = this.lastTime ? Math.min(1, (time - this.lastTime) / 1000) : 0;
    this.lastTime = time;
    const rig = this.rig;
    const moved = rig ? rig.update(dt) : false;
    if (rig && rig.layer !== this.current) this.setCurrent(rig.layer);
    this.tickTime(dt);
    if (!moved && !this.dirty) return;
    this.draw();
    if (this.recorder.busy) this.recorder.frame(this.exportBoxes());
    this.status.frame(time, rig?.busy ?? false, this.panels[0]?.stack.visibleCount() ?? 0);
    const waiting = this.afterRender;
    this.afterRender = [];
    waiting.forEach((r) => r());
  }

  /** A video's time: the clip playing at the current layer, or each layer's clip as the flythrough passes it. */
  private tickTime(dt: number): void {
    const rig = this.rig;
    const T = this.set?.frames ?? 1;
    if (T < 2 || !rig) return;
    // The flythrough's clip runs at the layers' stations only: the first frame towards the first layer, the last past the last.
    const t =
      rig.playing && rig.clipFrames > 1
        ? clipFrameAt(Math.max(-0.5, Math.min(rig.u, rig.last - 0.501)), T)
        : (this.frameIndex + this.clip.advance(dt, clipFps(rig.speed))) % T;
    if (t !== this.frameIndex) this.setFrame(t);
  }

  /**
   * Draws every panel into its column of the canvas; while exporting (the PNG's one frame, a
   * WebM's recording) into the box that is exported, centred in the column at the input's
   * aspect, framed around the current plane (`framings`: exportCrop of the plane's screen rect): a
   * crop of the column's view cut the current plane of a 4:1 input.
   */
  private draw(framed = this.recorder.busy): void {
    this.dirty = false;
    const rig = this.rig;
    const n = this.panels.length;
    this.renderer.setScissorTest(n > 1 || framed);
    this.renderer.clear();
    if (rig) {
      const columns = this.columns().map((c) => this.css(c));
      const exported = framed ? this.framings(this.recorder.busy, columns) : undefined;
      this.panels.forEach((p, i) =>
        p.draw(this.renderer, rig.camera, rig.u, this.current, exported?.[i].box ?? columns[i], exported?.[i].framing),
      );
    }
    this.renderer.setViewport(0, 0, this.canvas.clientWidth, this.canvas.clientHeight);
    this.renderer.setScissorTest(false);
  }

  /** Device pixels as CSS pixels. */
  private css(b: Box): Box {
    const r = this.renderer.getPixelRatio();
    return { x: b.x / r, y: b.y / r, width: b.width / r, height: b.height / r };
  }

  /**
   * Per panel, the exported box (CSS pixels) and the part of its column (`columns`, CSS
   * pixels) drawn there:
   * for a still (`flight` off) exportCrop around the current plane as the camera sees it now
   * (orbited or not); for a recorded flight each station's own framing, blended between the two
   * stations the camera is between, so that it glides (around the current plane it jumped where
   * the current layer changed, and grew as the camera passed through a plane).
   */
  private framings(
    flight: boolean,
    columns = this.columns().map((c) => this.css(c)),
  ): { box: Box; framing: { full: readonly [number, number]; crop: Box } }[] {
    const rig = this.rig!;
    return this.exportBoxes().map((e, i) => {
      const box = this.css(e);
      const { width: w, height: h } = columns[i];
      const aspect = box.width / box.height;
      const at = (j: number) => exportCrop(w, h, aspect, screenRect(rig.stationCamera(j), rig.layout.spot(j), w, h));
      let crop: Box;
      if (!flight) crop = exportCrop(w, h, aspect, this.panels[i].planeRect(rig.camera, this.current, w, h));
      else {
        const j = Math.min(rig.last, Math.floor(rig.u));
        crop = j < rig.last ? blendBox(at(j), at(j + 1), rig.u - j) : at(j);
      }
      return { box, framing: { full: [w, h] as const, crop } };
    });
  }

  private setCurrent(k: number): void {
    this.current = k;
    const set = this.set;
    if (!set) return;
    this.panels.forEach((p) => p.stack.setCurrent(k));
    this.chart.setCurrent(k);
    this.controls.setCurrent(k);
    this.frame.show(set, k, this.frameIndex, this.ranges()[0], this.controls.style(), this.norm);
    this.status.current = k;
    this.dirty = true;
    this.writeUrlSoon();
  }

  /** A video's input frame t: the tiles, the input plane and the 2D frame repainted at t. */
  private setFrame(t: number): void {
    this.frameIndex = t;
    this.time.setCurrent(t);
    this.status.inputFrame = t;
    this.repaint();
    this.writeUrlSoon();
  }

  private writeUrlSoon(): void {
    clearTimeout(this.urlTimer);
    this.urlTimer = window.setTimeout(() => this.writeUrl(), 300);
  }

  private setNormalization(mode: Normalization): void {
    this.norm = mode;
    this.controls.setNormalization(mode);
    this.repaint();
    this.writeUrl();
  }

  private setSpeed(v: number): void {
    if (this.rig) this.rig.speed = v;
    this.writeUrl();
  }

  /** Re-colours the atlas and the 2D frame (normalization, colormap, overlay). */
  private repaint(): void {
    this.evalView?.repaint(this.controls.style());
    const set = this.set;
    if (!set) return;
    const style: PaintStyle = this.controls.style();
    const ranges = this.ranges();
    this.panels.forEach((p, i) => p.paint(ranges[i], style, this.frameIndex));
    this.frame.show(set, Math.max(0, this.current), this.frameIndex, ranges[0], style, this.norm);
    this.status.normalization = this.norm;
    this.dirty = true;
  }

  /** Each panel's per-layer colour ranges (one scale for all under global normalization). */
  private ranges(): (readonly { min: number; max: number }[])[] {
    return sharedRanges(
      this.panels.map((p) => p.set),
      this.norm,
    );
  }

  private writeUrl(): void {
    const ev = this.evalView;
    UrlState.write({
      bundle: this.bundleUrl,
      eval: this.evalUrl,
      layer: ev ? ev.layer : this.set ? this.current : undefined,
      frame: !ev && this.set && this.set.frames > 1 ? this.frameIndex : undefined,
      method: ev ? ev.curveId : this.set ? this.explanation : undefined,
      norm: this.norm,
      speed: this.rig && this.rig.speed !== 2 ? this.rig.speed : undefined,
    });
  }

  private nextFrame(): Promise<void> {
    this.dirty = true;
    return new Promise((resolve) => this.afterRender.push(resolve));
  }

  /**
   * What the PNG and the WebM are of: per panel, the largest box of its column at the input's
   * aspect, centred (device pixels, as three.js floors the viewport). Cropped, not drawn again:
   * the export shows what the page does, undistorted, and the page is left as it is. Before
   * a bundle: the whole canvas.
   */
  private exportBoxes(): Box[] {
    const set = this.set;
    if (!set) return [{ x: 0, y: 0, width: this.canvas.width, height: this.canvas.height }];
    return this.columns().map((c) => {
      const b = centredBox(c.width, c.height, set.width / set.height);
      return { ...b, x: c.x + b.x };
    });
  }

  /** Each panel's column of the canvas, in device pixels. */
  private columns(): Box[] {
    const r = this.renderer.getPixelRatio();
    return this.panels.map((_, i, all) => {
      const [x0, w] = column(i, all.length, this.canvas.clientWidth).map((v) => Math.floor(v * r));
      return { x: x0, y: 0, width: w, height: this.canvas.height };
    });
  }

  /** The view as PNG: drawn, then its boxes copied within this task (a WebGPU canvas is read before it is presented). */
  private viewPng(): Promise<Blob> {
    this.draw(true);
    const png = this.recorder.png(this.exportBoxes());
    this.dirty = true;
    return png;
  }

  private async exportPng(): Promise<void> {
    if (!this.panels.length || !this.rig) return;
    try {
      const frame = (this.set?.frames ?? 1) > 1 ? `-frame-${this.frameIndex + 1}` : '';
      Recorder.download(await this.viewPng(), `camanim-layer-${this.current + 1}${frame}.png`);
    } catch (e) {
      this.exportFailed('PNG', e);
    }
  }

  private async exportWebm(): Promise<void> {
    const rig = this.rig;
    if (!rig || this.recorder.busy) return;
    try {
      rig.u = -1;
      await rig.flyTo(-1, 0.001);
      const ended = rig.whenStopped();
      this.controls.setRecording(true);
      const recording = this.recorder.webm(this.exportBoxes(), ended);
      this.setFlying(true);
      Recorder.download(await recording, 'camanim-flythrough.webm');
    } catch (e) {
      this.exportFailed('WebM', e);
    } finally {
      this.controls.setRecording(false);
    }
  }

  /** The CLI's GIF of the 2D frame's explanation (side by side: its grid.gif of every panel), every layer; downloaded only once whole. */
  private async exportGif(): Promise<void> {
    const set = this.set;
    if (!set) return;
    this.controls.setEncoding(true);
    try {
      const ranges = this.ranges();
      const gif = new FrameGif(
        this.panels.map((p, i) => ({ set: p.set, ranges: ranges[i] })),
        this.controls.style(),
        this.norm,
      );
      const blob = await gif.encode((done, total) =>
        this.status.loading(`encoding the ${gif.width}×${gif.height} GIF`, done, total),
      );
      this.status.settle();
      Recorder.download(blob, 'camanim-layers.gif');
    } catch (e) {
      this.exportFailed('GIF', e);
    } finally {
      this.controls.setEncoding(false);
    }
  }

  /** A failed export: the page says what went wrong, and nothing is downloaded. */
  private exportFailed(kind: string, e: unknown): void {
    const why = e instanceof Error ? e.message : String(e);
    this.fail(
      e instanceof ViewerError
        ? e
        : new ViewerError(
            'export',
            `The ${kind} export failed: ${why}`,
            undefined,
            'Try again; the other exports do not depend on this one',
            { cause: e },
          ),
    );
  }

  private async initDevice(): Promise<string | undefined> {
    if (!('gpu' in navigator) || !navigator.gpu) return undefined;
    try {
      this.device = await acquireDevice();
      this.device.lost.then((why) =>
        this.fail(new ViewerError('no-webgpu', `The GPU device was lost: ${why}`, undefined, 'Reload the page')),
      );
      return undefined;
    } catch (e) {
      return `WebGPU is present but gave no device (${(e as Error).message}); computing CAMs in the page is off, bundles still open through WebGL.`;
    }
  }

  private async loadAssets(): Promise<void> {
    const base = new URL('default/', location.href);
    const list = await fetch(new URL('index.json', base))
      .then((r) => (r.ok ? (r.json() as Promise<DefaultAssets>) : undefined))
      .catch(() => undefined);
    if (!list) return;
    const abs = (p: string | null) => (p ? new URL(p, base).href : null);
    await this.compute.setAssets({
      model: abs(list.model),
      meta: abs(list.meta),
      samples: list.samples.map((s) => new URL(s, base).href),
    });
    // First use: the bundled model on its first sample, one click from the empty page.
    const tryIt = this.doc.getElementById('try-bundled')!;
    tryIt.hidden = !this.compute.canTryBundled;
    tryIt.onclick = () => void this.apiHandlers().compute({ model: 'default', image: 'sample:0', method: 'gradcam' });
  }

  private fail(e: unknown): void {
    const err = ViewerError.from(e);
    console.warn(`camanim: ${err.message}`);
    this.rig?.setPlaying(false);
    this.status.fail(err);
  }

  private resize(): void {
    const box = this.canvas.parentElement!.getBoundingClientRect();
    if (!box.width || !box.height || !this.renderer) return;
    this.renderer.setSize(box.width, box.height, false);
    this.rig?.resize(this.aspect());
    this.dirty = true;
  }

  private aspect(): number {
    const box = this.canvas.parentElement!.getBoundingClientRect();
    return box.width && box.height ? box.width / Math.max(1, this.panels.length) / box.height : 16 / 9;
  }

  private apiHandlers(): ViewerHandlers {
    return {
      goTo: (i) => this.goTo(i),
      goToFrame: (t) => this.goToFrame(t),
      playClip: () => this.setClipPlaying(true),
      setClipFlythrough: (on) => this.setClipFlythrough(on),
      seek: async (u) => {
        const rig = this.rig;
        if (!rig) return;
        rig.setPlaying(false);
        rig.u = u;
        await rig.flyTo(u, 0.001);
        await this.nextFrame();
      },
      open: (url) => this.openUrl(url),
      openEval: (url) => this.openEvalUrl(url),
      gallery: () => this.evalView?.tiles() ?? [],
      evalState: () => this.evalView?.state() ?? null,
      compute: async (req: ComputeRequest) => {
        try {
          await this.compute.run(req);
        } catch (e) {
          this.fail(e);
        }
      },
      setNormalization: async (m) => {
        this.setNormalization(m);
        await this.nextFrame();
      },
      play: () => this.setFlying(true),
      pause: () => {
        this.setFlying(false);
        this.setClipPlaying(false);
      },
      map: (i, which) => {
        const l = this.set?.layers[i];
        return l ? Array.from(which === 'input' ? l.upsampled : l.raw) : [];
      },
      snapshot: async () => {
        const blob = await this.viewPng();
        return new Promise<string>((resolve) => {
          const r = new FileReader();
          r.onload = () => resolve(String(r.result));
          r.readAsDataURL(blob);
        });
      },
      tile: async (i) => {
        const atlas = this.panels[0]?.atlas;
        if (!atlas || !this.set?.layers[i]) return null;
        const px = await atlas.read(i);
        return { width: px.width, height: px.height, rgba: Array.from(px.rgba) };
      },
      inputPlane: () => {
        const canvas = this.panels[0]?.stack.inputImage.image as HTMLCanvasElement | undefined;
        return canvas ? canvas.toDataURL('image/png') : null;
      },
      predictionCard: () => {
        const canvas = this.panels[0]?.stack.predictionCard.image as HTMLCanvasElement | undefined;
        return canvas ? canvas.toDataURL('image/png') : null;
      },
      labelLayout: () => this.panels[0]?.labels.layoutNow() ?? null,
      exportCrops: (flight = false) => (this.rig && this.panels.length ? this.framings(flight).map((f) => f.framing.crop) : []),
      compare: (ids) => this.compare(ids),
      panels: () =>
        this.panels.map((p) => ({
          explanation: p.id,
          method: p.set.info.method,
          current: p.stack.currentLayer,
          colorRange: p.painted[p.stack.currentLayer] ?? null,
        })),
    };
  }
}
