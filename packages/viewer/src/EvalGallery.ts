/**
 * An eval folder's gallery at one layer: a thumbnail per image scored ok, the image as the model
 * saw it with that layer's CAM over it (the transport bar's colormap, overlay and alpha; each map
 * on its own range), captioned with its label, the prediction and its value of the metric at that
 * layer. Sorted by path or by that value, filtered by class label or to the misclassified; shown
 * a page at a time. An item that cannot be read says why in its tile; the others still show.
 */
import type { GalleryImage, GalleryIndex } from '@camanim/cam-methods';
import { Colormap, type PaintStyle } from './Colormap.ts';
import type { EvalFolder, LoadedItem } from './EvalFolder.ts';
import { metricTitle } from './EvalChart.ts';
import { ViewerError } from './ViewerError.ts';

/** What one tile shows, for scripts and tests (window.camanim.gallery()). */
export interface GalleryTile {
  readonly hash: string;
  readonly path: string;
  readonly label: string | null;
  /** The predicted class's name. */
  readonly predicted: string | null;
  /** Whether the label's class is the prediction (null: the label names no class). */
  readonly correct: boolean | null;
  /** The metric at the layer shown. */
  readonly value: number;
  /** The map drawn (bytes, map.width × map.height), null until loaded or when unreadable. */
  readonly map: number[] | null;
  readonly error: string | null;
}

export interface GalleryView {
  readonly method: string;
  readonly metric: string;
  readonly layer: number;
}

interface Tile {
  readonly image: GalleryImage;
  readonly el: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  item?: LoadedItem;
  error?: string;
}

/** Tiles per page; "show more" adds another page. */
const PAGE = 120;
/** Items fetched at once. */
const PARALLEL = 6;

export class EvalGallery {
  private readonly bar: HTMLElement;
  private readonly grid: HTMLElement;
  private readonly more: HTMLButtonElement;
  private readonly sort: HTMLSelectElement;
  private readonly filter: HTMLSelectElement;
  private readonly count: HTMLElement;
  private tiles: Tile[] = [];
  private view?: GalleryView;
  private style?: PaintStyle;
  private shownCount = PAGE;
  /** Bumped by every show: loads for an older one are dropped. */
  private generation = 0;
  private loading = 0;

  constructor(
    readonly root: HTMLElement,
    private readonly folder: EvalFolder,
    private readonly gallery: GalleryIndex,
    private readonly hooks: { progress(done: number, total: number): void; settled(): void },
  ) {
    this.bar = div('gallery-bar');
    this.sort = select('sort', 'Sort', [
      ['path', 'by path'],
      ['desc', 'by value, highest first'],
      ['asc', 'by value, lowest first'],
    ]);
    const labels = [...new Set(gallery.images.filter((i) => i.status === 'ok').map((i) => i.label ?? ''))].sort();
    this.filter = select('filter', 'Class', [
      ['*', 'every class'],
      ['!', 'misclassified'],
      ...labels.map((l): [string, string] => [`=${l}`, l || '(unlabelled)']),
    ]);
    this.count = document.createElement('span');
    this.count.dataset.role = 'gallery-count';
    this.bar.append(this.sort, this.filter, this.count);
    this.grid = div('tiles');
    this.grid.dataset.role = 'tiles';
    this.more = document.createElement('button');
    this.more.dataset.role = 'more';
    this.more.onclick = () => {
      this.shownCount += PAGE;
      void this.render();
    };
    this.sort.onchange = this.filter.onchange = () => {
      this.shownCount = PAGE;
      void this.render();
    };
    root.append(this.bar, this.grid, this.more, failedList(gallery));
  }

  /** Shows the layer (the tiles' items fetched as needed); resolves once every tile shown is painted or has failed. */
  async show(view: GalleryView, style: PaintStyle): Promise<void> {
    this.view = view;
    this.style = style;
    await this.render();
  }

  repaint(style: PaintStyle): void {
    this.style = style;
    for (const t of this.tiles) this.paint(t);
  }

  /** Items still being fetched. */
  get pending(): number {
    return this.loading;
  }

  state(): GalleryTile[] {
    const v = this.view;
    return this.tiles.map((t) => ({
      hash: t.image.hash,
      path: t.image.path,
      label: t.image.label,
      predicted: this.className(t.image.predicted),
      correct: correct(t.image),
      value: v ? value(t.image, v) : Number.NaN,
      map: v && t.item ? Array.from(t.item.map(v.method, v.layer) ?? []) : null,
      error: t.error ?? null,
    }));
  }

  private async render(): Promise<void> {
    const v = this.view;
    if (!v) return;
    const generation = ++this.generation;
    const chosen = this.chosen(v);
    const shown = chosen.slice(0, this.shownCount);
    this.tiles = shown.map((image) => this.tile(image, v));
    this.grid.replaceChildren(...this.tiles.map((t) => t.el));
    this.count.textContent = `${chosen.length} of ${this.okCount()} images${shown.length < chosen.length ? `, the first ${shown.length} shown` : ''}`;
    this.more.hidden = shown.length >= chosen.length;
    this.more.textContent = `show ${Math.min(PAGE, chosen.length - shown.length)} more`;
    const todo = this.tiles.filter((t) => t.image.file !== null);
    const total = todo.length;
    let done = 0;
    this.loading = total;
    if (total) this.hooks.progress(0, total);
    const next = async (): Promise<void> => {
      const t = todo.shift();
      if (!t || generation !== this.generation) return;
      try {
        t.item = await this.folder.item(t.image);
      } catch (e) {
        t.error = ViewerError.from(e).message;
      }
      if (generation !== this.generation) return;
      this.paint(t);
      this.loading--;
      this.hooks.progress(++done, total);
      await next();
    };
    await Promise.all(Array.from({ length: PARALLEL }, next));
    if (generation === this.generation) this.hooks.settled();
  }

  /** The ok images that pass the filter, in the chosen order. */
  private chosen(v: GalleryView): GalleryImage[] {
    const f = this.filter.value;
    const images = this.gallery.images.filter(
      (i) => i.status === 'ok' && (f === '*' || (f === '!' ? correct(i) === false : (i.label ?? '') === f.slice(1))),
    );
    const by = this.sort.value;
    if (by === 'path') return images.sort((a, b) => a.path.localeCompare(b.path));
    const sign = by === 'desc' ? -1 : 1;
    // NaN (no value) last either way.
    const key = (i: GalleryImage) => value(i, v);
    return images.sort((a, b) => {
      const [x, y] = [key(a), key(b)];
      if (!Number.isFinite(x) || !Number.isFinite(y)) return Number(!Number.isFinite(x)) - Number(!Number.isFinite(y));
      return sign * (x - y) || a.path.localeCompare(b.path);
    });
  }

  private okCount(): number {
    return this.gallery.images.filter((i) => i.status === 'ok').length;
  }

  private tile(image: GalleryImage, v: GalleryView): Tile {
    const el = document.createElement('figure');
    el.className = 'tile';
    el.dataset.hash = image.hash;
    el.dataset.path = image.path;
    el.title = image.path;
    const canvas = document.createElement('canvas');
    canvas.width = this.gallery.thumb.width;
    canvas.height = this.gallery.thumb.height;
    const cap = document.createElement('figcaption');
    const label = document.createElement('span');
    const ok = correct(image);
    label.className = `tile-label ${ok === null ? '' : ok ? 'right' : 'wrong'}`;
    label.dataset.role = 'tile-label';
    const predicted = this.className(image.predicted) ?? '?';
    label.textContent = `${image.label ?? '(unlabelled)'} → ${predicted}`;
    const score = document.createElement('span');
    score.className = 'tile-value';
    score.dataset.role = 'tile-value';
    const x = value(image, v);
    score.textContent = `${metricTitle(v.metric)} ${Number.isFinite(x) ? x.toFixed(4) : '–'}`;
    cap.append(label, score);
    el.append(canvas, cap);
    const t: Tile = { image, el, canvas };
    if (image.file === null)
      this.fail(t, 'No gallery item was written for this image: run the same camanim eval again to write it');
    return t;
  }

  private paint(t: Tile): void {
    const v = this.view;
    const style = this.style;
    if (!v || !style || !t.item) {
      if (t.error) this.fail(t, t.error);
      return;
    }
    const bytes = t.item.map(v.method, v.layer);
    if (!bytes) {
      this.fail(t, `The gallery item has no map for ${v.method} at layer ${v.layer + 1}`);
      return;
    }
    const { thumb } = t.item;
    const { width: mw, height: mh } = this.gallery.map;
    const ctx = t.canvas.getContext('2d')!;
    const img = ctx.createImageData(thumb.width, thumb.height);
    const map = Float32Array.from(bytes, (u) => u / 255);
    Colormap.paint(map, mw, mh, { min: 0, max: 1 }, style, thumb.rgba, thumb.width, thumb.height, img.data);
    ctx.putImageData(img, 0, 0);
    t.el.dataset.painted = String(v.layer);
  }

  private fail(t: Tile, message: string): void {
    t.error = message;
    t.el.classList.add('failed');
    let note = t.el.querySelector<HTMLElement>('[data-role=tile-error]');
    if (!note) {
      note = div('tile-error');
      note.dataset.role = 'tile-error';
      t.el.insertBefore(note, t.canvas.nextSibling);
    }
    note.textContent = message;
  }

  private className(k: number | null): string | null {
    return k === null ? null : (this.gallery.classes[k] ?? `class ${k}`);
  }
}

function value(i: GalleryImage, v: GalleryView): number {
  return i.scores[v.method]?.[v.metric]?.[v.layer] ?? Number.NaN;
}

function correct(i: GalleryImage): boolean | null {
  return i.labelIndex === null || i.predicted === null ? null : i.labelIndex === i.predicted;
}

/** The images that failed, with why, folded away. */
function failedList(gallery: GalleryIndex): HTMLElement {
  const failed = gallery.images.filter((i) => i.status === 'failed');
  const d = document.createElement('details');
  d.className = 'failed-list';
  d.dataset.role = 'failed';
  d.hidden = failed.length === 0;
  const s = document.createElement('summary');
  s.textContent = `${failed.length} image${failed.length === 1 ? '' : 's'} not scored (not shown)`;
  const ul = document.createElement('ul');
  for (const i of failed) {
    const li = document.createElement('li');
    li.textContent = `${i.path}: ${i.reason ?? 'failed'}`;
    ul.append(li);
  }
  d.append(s, ul);
  return d;
}

function div(cls: string): HTMLElement {
  const d = document.createElement('div');
  d.className = cls;
  return d;
}

function select(role: string, label: string, options: readonly [string, string][]): HTMLSelectElement {
  const s = document.createElement('select');
  s.dataset.role = role;
  s.setAttribute('aria-label', label);
  s.append(...options.map(([v, t]) => new Option(t, v)));
  return s;
}
