/**
 * The page on an eval folder: a summary (images, failures, accuracy, each curve's model mean), the
 * per-layer curve in the side panel (EvalChart) and the gallery of the current layer in the stage
 * (EvalGallery), kept on one layer and one curve (a method and metric). The transport bar's layer
 * controls and the chart both move the layer; its colormap, overlay and alpha paint the gallery.
 */
import type { PaintStyle } from './Colormap.ts';
import { EvalChart, evalCurves, fixed, metricTitle, type EvalCurve } from './EvalChart.ts';
import type { EvalFolder } from './EvalFolder.ts';
import { EvalGallery, type GalleryTile } from './EvalGallery.ts';

/** window.camanim.eval: what the page shows of an eval folder. */
export interface EvalState {
  readonly source: string;
  readonly curves: readonly { readonly id: string; readonly title: string }[];
  readonly curve: string;
  /** 0-based. */
  readonly layer: number;
  readonly layers: readonly string[];
  /** The curve as drawn: per layer the mean, the interval's bounds and the images counted. */
  readonly points: readonly { readonly mean: number; readonly lo: number; readonly hi: number; readonly n: number }[];
  readonly images: { readonly ok: number; readonly failed: number };
  /** Whether the folder has a gallery (gallery.json). */
  readonly gallery: boolean;
  /** Gallery items still being fetched. */
  readonly pending: number;
}

export interface EvalHooks {
  style(): PaintStyle;
  progress(done: number, total: number): void;
  settled(): void;
  /** The layer or the curve changed (the address bar, the transport bar follow). */
  changed(): void;
}

export class EvalView {
  private readonly curves: EvalCurve[];
  private curve: EvalCurve;
  private current = 0;
  private readonly chart: EvalChart;
  private readonly gallery?: EvalGallery;
  private readonly layerLine: HTMLElement;

  constructor(
    private readonly folder: EvalFolder,
    private readonly stage: HTMLElement,
    chartRoot: HTMLElement,
    private readonly hooks: EvalHooks,
    choice: { curve?: string; layer?: number },
  ) {
    this.curves = evalCurves(folder.aggregates.methods);
    this.curve =
      this.curves.find((c) => c.id === choice.curve) ??
      this.curves.find((c) => c.aggregate.method === choice.curve) ??
      this.curves[0];
    this.current = this.clamp(choice.layer ?? 0);
    this.chart = new EvalChart(chartRoot);
    this.chart.onLayer = (k) => void this.setLayer(k);
    this.chart.onCurve = (id) => void this.setCurve(id);
    stage.replaceChildren(this.summary());
    this.layerLine = document.createElement('div');
    this.layerLine.className = 'eval-layer';
    this.layerLine.dataset.role = 'eval-layer';
    stage.append(this.layerLine);
    const g = folder.gallery;
    if (g) {
      const root = document.createElement('div');
      root.className = 'gallery';
      stage.append(root);
      this.gallery = new EvalGallery(root, folder, g, { progress: hooks.progress, settled: hooks.settled });
    } else {
      const note = document.createElement('p');
      note.className = 'eval-note';
      note.dataset.role = 'no-gallery';
      note.textContent = folder.galleryError
        ? `The gallery cannot be shown: ${folder.galleryError.message}`
        : 'This eval folder has no gallery.json (camanim eval wrote none before the gallery): run the same camanim eval again to add the maps.';
      stage.append(note);
    }
    stage.hidden = false;
  }

  get layer(): number {
    return this.current;
  }

  get layerCount(): number {
    return this.curve.aggregate.layers.length;
  }

  get curveId(): string {
    return this.curve.id;
  }

  /** Draws the chart and the gallery at the chosen layer; resolves once the gallery is painted. */
  async start(): Promise<void> {
    this.chart.show(this.curves, this.curve, this.current);
    await this.showLayer();
  }

  async setLayer(k: number): Promise<void> {
    const target = this.clamp(Math.round(k));
    if (target === this.current) return;
    this.current = target;
    this.chart.setCurrent(target);
    this.hooks.changed();
    await this.showLayer();
  }

  async setCurve(id: string): Promise<void> {
    const next = this.curves.find((c) => c.id === id);
    if (!next) return;
    this.curve = next;
    this.current = this.clamp(this.current);
    this.chart.show(this.curves, next, this.current);
    this.hooks.changed();
    await this.showLayer();
  }

  repaint(style: PaintStyle): void {
    this.gallery?.repaint(style);
  }

  state(): EvalState {
    const a = this.folder.aggregates;
    return {
      source: this.folder.source.description,
      curves: this.curves.map((c) => ({ id: c.id, title: c.title })),
      curve: this.curve.id,
      layer: this.current,
      layers: this.curve.aggregate.layers.map((l) => l.name),
      points: this.curve.aggregate.layers.map((l) => ({ mean: l.stats.mean, lo: l.stats.lo, hi: l.stats.hi, n: l.stats.n })),
      images: { ok: a.images, failed: a.failed },
      gallery: this.gallery !== undefined,
      pending: this.gallery?.pending ?? 0,
    };
  }

  tiles(): GalleryTile[] {
    return this.gallery?.state() ?? [];
  }

  dispose(): void {
    this.stage.replaceChildren();
    this.stage.hidden = true;
  }

  private async showLayer(): Promise<void> {
    const m = this.curve.aggregate;
    const l = m.layers[this.current];
    const s = l.stats;
    this.layerLine.textContent = `layer ${this.current + 1} / ${m.layers.length} · ${l.name} · mean ${metricTitle(m.metric)} ${fixed(s.mean, 4)} over ${s.n} images`;
    if (!this.gallery) return this.hooks.settled();
    await this.gallery.show({ method: m.method, metric: m.metric, layer: this.current }, this.hooks.style());
  }

  private summary(): HTMLElement {
    const a = this.folder.aggregates;
    const g = this.folder.gallery;
    const head = document.createElement('div');
    head.className = 'eval-head';
    head.dataset.role = 'eval-summary';
    const h = document.createElement('h2');
    h.textContent = g ? `${basename(g.model)} on ${g.dataset}` : this.folder.source.description;
    const p = document.createElement('p');
    const acc =
      a.accuracy.value === null
        ? 'no label names a class'
        : `accuracy ${(100 * a.accuracy.value).toFixed(1)}% of ${a.accuracy.labelled}`;
    const means = a.methods.map(
      (m) =>
        `${m.method} ${metricTitle(m.metric)} model mean ${fixed(m.modelMean.mean, 4)} [${fixed(m.modelMean.lo, 4)}, ${fixed(m.modelMean.hi, 4)}]`,
    );
    p.textContent = [`${a.images} images scored, ${a.failed} failed`, acc, ...means].join(' · ');
    head.append(h, p);
    return head;
  }

  private clamp(k: number): number {
    return Math.min(this.curve.aggregate.layers.length - 1, Math.max(0, k));
  }
}

function basename(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}
