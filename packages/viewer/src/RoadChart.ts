/**
 * The ybROAD chart (CAManim, Kaczmarek et al.): ROAD per layer as points joined by a line,
 * ybROAD_max ringed and named, ybROAD_mean as a dashed rule, a cursor on the current layer.
 * Dragging across the chart scrubs: the camera flies to the layer under the pointer.
 */
import { niceTicks } from '@camanim/cam-methods';
import type { CamSet } from './CamSet.ts';

const NS = 'http://www.w3.org/2000/svg';
const W = 440;
const H = 190;
const PAD = { left: 46, right: 12, top: 16, bottom: 28 };

export class RoadChart {
  private svg?: SVGSVGElement;
  private cursor?: SVGLineElement;
  private count = 0;
  onScrub?: (layer: number) => void;

  constructor(readonly root: HTMLElement) {}

  show(set: CamSet): void {
    this.root.innerHTML = '';
    this.svg = undefined;
    const title = document.createElement('div');
    title.className = 'chart-title';
    title.textContent = 'ybROAD · ROAD per layer';
    this.root.append(title);
    const yb = set.ybroad;
    this.count = set.layers.length;
    if (!yb) {
      const note = document.createElement('div');
      note.className = 'chart-note';
      note.dataset.role = 'no-ybroad';
      note.textContent = set.info.ybroadNote ?? 'No ybROAD for this explanation';
      this.root.append(note);
      return;
    }
    const n = yb.values.length;
    // The axis between nice ticks covering the series, its mean and 0 (cam-methods' niceTicks, as the CLI's chart).
    const ticks = niceTicks(Math.min(0, ...yb.values, yb.mean), Math.max(0, ...yb.values, yb.mean), 3);
    const lo = ticks.values[0];
    const hi = ticks.values[ticks.values.length - 1];
    const x = (k: number) => PAD.left + (n <= 1 ? 0.5 : k / (n - 1)) * (W - PAD.left - PAD.right);
    const y = (v: number) => PAD.top + (1 - (v - lo) / (hi - lo)) * (H - PAD.top - PAD.bottom);
    const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': 'ybROAD per layer' }) as SVGSVGElement;
    svg.append(el('line', { x1: PAD.left, x2: W - PAD.right, y1: y(0), y2: y(0), class: 'axis' }));
    svg.append(el('line', { x1: PAD.left, x2: PAD.left, y1: PAD.top, y2: H - PAD.bottom, class: 'axis' }));
    for (const v of ticks.values) svg.append(text(PAD.left - 6, y(v) + 4, v.toFixed(ticks.decimals), 'tick end y-tick'));
    svg.append(text(PAD.left, H - 8, '1', 'tick'));
    svg.append(text(W - PAD.right, H - 8, String(n), 'tick end'));
    svg.append(text((PAD.left + W - PAD.right) / 2, H - 8, 'layer', 'tick middle'));
    const mean = el('line', { x1: PAD.left, x2: W - PAD.right, y1: y(yb.mean), y2: y(yb.mean), class: 'mean', 'data-role': 'mean' });
    svg.append(mean, text(W - PAD.right, y(yb.mean) - 4, `mean ${yb.mean.toFixed(3)}`, 'mean-label end'));
    svg.append(el('polyline', { points: yb.values.map((v, k) => `${x(k)},${y(v)}`).join(' '), class: 'series' }));
    yb.values.forEach((v, k) => {
      const c = el('circle', { cx: x(k), cy: y(v), r: n > 80 ? 1.6 : 3, class: k === yb.max.layer ? 'point max' : 'point', 'data-layer': k, 'data-value': v });
      const tip = document.createElementNS(NS, 'title');
      tip.textContent = `layer ${k + 1} ${set.layers[k].name}: ROAD ${v.toFixed(4)}`;
      c.append(tip);
      svg.append(c);
    });
    const best = yb.max.layer;
    svg.append(el('circle', { cx: x(best), cy: y(yb.values[best]), r: 7, class: 'max-ring', 'data-role': 'max', 'data-layer': best }));
    const label = `max ${yb.max.value.toFixed(3)} · layer ${best + 1} ${set.layers[best].opType}`;
    const right = x(best) < (PAD.left + W - PAD.right) / 2;
    svg.append(text(x(best) + (right ? 12 : -12), y(yb.values[best]) + 4, label, `max-label ${right ? '' : 'end'}`));
    this.cursor = el('line', { x1: x(0), x2: x(0), y1: PAD.top, y2: H - PAD.bottom, class: 'cursor', 'data-role': 'cursor' }) as SVGLineElement;
    svg.append(this.cursor);
    const pick = (ev: PointerEvent) => {
      const box = svg.getBoundingClientRect();
      const px = ((ev.clientX - box.left) / box.width) * W;
      const k = Math.round(((px - PAD.left) / (W - PAD.left - PAD.right)) * (n - 1));
      this.onScrub?.(Math.min(n - 1, Math.max(0, k)));
    };
    svg.addEventListener('pointerdown', (ev) => {
      svg.setPointerCapture(ev.pointerId);
      pick(ev);
    });
    svg.addEventListener('pointermove', (ev) => ev.buttons & 1 && pick(ev));
    this.root.append(svg);
    this.svg = svg;
    this.xOf = x;
  }

  /** Moves the cursor to layer k. */
  setCurrent(k: number): void {
    if (!this.cursor) return;
    const px = this.xOf(Math.min(this.count - 1, Math.max(0, k)));
    this.cursor.setAttribute('x1', String(px));
    this.cursor.setAttribute('x2', String(px));
    this.cursor.dataset.layer = String(k);
  }

  private xOf: (k: number) => number = () => 0;
}

function el(tag: string, attrs: Record<string, string | number>): SVGElement {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

function text(x: number, y: number, s: string, cls: string): SVGElement {
  const t = el('text', { x, y, class: cls });
  t.textContent = s;
  return t;
}
