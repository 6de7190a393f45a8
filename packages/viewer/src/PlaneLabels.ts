/**
 * The planes' captions as DOM labels over the view, laid out every frame the camera moves:
 * each near plane's label is projected under its plane (else above it), and LabelPacking
 * keeps it clear of the other labels, of the scene's cards (stage titles, the input caption,
 * the prediction) and of the view's edges, hiding by priority what does not fit. Long layer
 * names elide in the middle; the full name is the label's tooltip.
 */
import { Vector3, type PerspectiveCamera } from 'three/webgpu';
import type { CamLayerView } from './CamSet.ts';
import { packLabels, type LabelCandidate, type Rect } from './LabelPacking.ts';
import type { PlaneSpot } from './StackLayout.ts';
import { elideMiddle } from './TextFit.ts';

/** Label size in CSS pixels (style.css .plane-label: 2 lines of 11 px monospace, 3 px padding). */
const LABEL_H = 34;
const MIN_W = 120;
const MAX_W = 240;
const PAD_X = 6;
/** DejaVu Sans Mono's advance at 11 px. */
const CHAR_W = 6.63;
/** Captions are offered for planes this close to the camera's station. */
const NEAR = 10;

export interface ScreenLabel {
  readonly layer: number;
  readonly rect: Rect;
}

export class PlaneLabels {
  readonly root: HTMLDivElement;
  private readonly els = new Map<number, HTMLDivElement>();
  private shown: ScreenLabel[] = [];
  private cardRects: Rect[] = [];

  constructor(
    container: HTMLElement,
    private readonly layers: readonly CamLayerView[],
    private readonly planes: readonly PlaneSpot[],
    private readonly cards: readonly PlaneSpot[],
  ) {
    this.root = document.createElement('div');
    this.root.className = 'plane-labels';
    container.append(this.root);
  }

  /** Places the labels of the planes near u that are drawn, as seen by `camera` in a w×h view. */
  update(camera: PerspectiveCamera, u: number, current: number, drawn: readonly boolean[], w: number, h: number): void {
    camera.updateMatrixWorld();
    const view: Rect = { x: 0, y: 0, width: w, height: h };
    this.cardRects = this.cards.flatMap((c) => screenRect(camera, c, w, h) ?? []);
    const candidates: LabelCandidate<number>[] = [];
    for (let k = Math.max(0, Math.floor(u - NEAR)); k <= Math.min(this.planes.length - 1, Math.ceil(u + NEAR)); k++) {
      if (!drawn[k]) continue;
      const plane = screenRect(camera, this.planes[k], w, h);
      if (!plane) continue;
      const width = Math.min(MAX_W, Math.max(MIN_W, plane.width));
      const x = plane.x + plane.width / 2 - width / 2;
      candidates.push({
        id: k,
        priority: k === current ? -1 : Math.abs(k - u),
        boxes: [
          { x, y: plane.y + plane.height + 4, width, height: LABEL_H },
          { x, y: plane.y - 4 - LABEL_H, width, height: LABEL_H },
        ],
      });
    }
    const placed = packLabels(candidates, this.cardRects, view);
    this.shown = [...placed].map(([layer, rect]) => ({ layer, rect }));
    for (const [k, el] of this.els) el.hidden = !placed.has(k);
    for (const { layer, rect } of this.shown) this.place(this.label(layer, rect.width), rect, layer === current);
  }

  /** The labels shown now and the cards' screen rectangles, in view pixels (for tests). */
  layoutNow(): { labels: ScreenLabel[]; cards: Rect[] } {
    return { labels: this.shown, cards: this.cardRects };
  }

  dispose(): void {
    this.root.remove();
  }

  private label(k: number, width: number): HTMLDivElement {
    let el = this.els.get(k);
    const chars = Math.floor((width - 2 * PAD_X) / CHAR_W);
    if (!el || el.dataset.chars !== String(chars)) {
      const l = this.layers[k];
      el ??= this.root.appendChild(document.createElement('div'));
      el.className = 'plane-label';
      el.dataset.layer = String(k);
      el.dataset.chars = String(chars);
      el.title = `#${k + 1} ${l.opType} [${l.shape.join(', ')}]\n${l.name}`;
      const head = document.createElement('b');
      head.textContent = elideMiddle(`#${k + 1} ${l.opType} [${l.shape.join(',')}]`, chars);
      const name = document.createElement('span');
      name.textContent = elideMiddle(l.name, chars);
      el.replaceChildren(head, name);
      this.els.set(k, el);
    }
    return el;
  }

  private place(el: HTMLDivElement, r: Rect, current: boolean): void {
    el.hidden = false;
    el.classList.toggle('current', current);
    el.style.transform = `translate(${Math.round(r.x)}px, ${Math.round(r.y)}px)`;
    el.style.width = `${r.width}px`;
  }
}

/** A plane's bounding rectangle as `camera` sees it in a w×h view; undefined when it reaches behind the camera. */
export function screenRect(camera: PerspectiveCamera, spot: PlaneSpot, w: number, h: number): Rect | undefined {
  const [cx, cy, cz] = spot.center;
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  const p = new Vector3();
  for (const [dx, dy] of [
    [-1, -1],
    [1, -1],
    [-1, 1],
    [1, 1],
  ]) {
    p.set(cx + (dx * spot.width) / 2, cy + (dy * spot.height) / 2, cz).applyMatrix4(camera.matrixWorldInverse);
    if (p.z >= -camera.near) return undefined;
    p.applyMatrix4(camera.projectionMatrix);
    const sx = ((p.x + 1) / 2) * w;
    const sy = ((1 - p.y) / 2) * h;
    x0 = Math.min(x0, sx);
    x1 = Math.max(x1, sx);
    y0 = Math.min(y0, sy);
    y1 = Math.max(y1, sy);
  }
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}
