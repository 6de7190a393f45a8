/**
 * The frame both per-layer charts draw in (MetricChart for a bundle's explanation, EvalChart for an
 * eval folder's means): an SVG with the value axis between nice ticks covering the values and 0
 * (cam-methods' niceTicks, as the CLI's chart), the layer axis 1…n, a cursor on the current
 * layer, and dragging across it picking the layer under the pointer.
 */
import { niceTicks } from '@camanim/cam-methods';

const NS = 'http://www.w3.org/2000/svg';
const W = 440;
const H = 190;
const PAD = { left: 46, right: 12, top: 16, bottom: 28 };

export class LayerChart {
  readonly svg: SVGSVGElement;
  private cursor?: SVGLineElement;

  /**
   * `covering`: the values the axis must hold (non-finite ones are ignored); `attrs` go on the
   * <svg>; `onPick` hears the layer under the pointer while it is pressed.
   */
  constructor(
    readonly n: number,
    covering: readonly number[],
    attrs: Record<string, string>,
    onPick: (layer: number) => void,
  ) {
    const finite = covering.filter(Number.isFinite);
    const ticks = niceTicks(Math.min(0, ...finite), Math.max(0, ...finite), 3);
    const lo = ticks.values[0];
    const hi = ticks.values[ticks.values.length - 1];
    this.x = (k) => PAD.left + (n <= 1 ? 0.5 : k / (n - 1)) * (W - PAD.left - PAD.right);
    this.y = (v) => PAD.top + (1 - (v - lo) / (hi - lo)) * (H - PAD.top - PAD.bottom);
    const svg = svgEl('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', ...attrs }) as SVGSVGElement;
    const { y } = this;
    svg.append(svgEl('line', { x1: PAD.left, x2: W - PAD.right, y1: y(0), y2: y(0), class: 'axis' }));
    svg.append(svgEl('line', { x1: PAD.left, x2: PAD.left, y1: PAD.top, y2: H - PAD.bottom, class: 'axis' }));
    for (const v of ticks.values) svg.append(svgText(PAD.left - 6, y(v) + 4, v.toFixed(ticks.decimals), 'tick end y-tick'));
    svg.append(svgText(PAD.left, H - 8, '1', 'tick'));
    svg.append(svgText(W - PAD.right, H - 8, String(n), 'tick end'));
    svg.append(svgText((PAD.left + W - PAD.right) / 2, H - 8, 'layer', 'tick middle'));
    const pick = (ev: PointerEvent) => {
      const box = svg.getBoundingClientRect();
      const px = ((ev.clientX - box.left) / box.width) * W;
      const k = Math.round(((px - PAD.left) / (W - PAD.left - PAD.right)) * (n - 1));
      onPick(Math.min(n - 1, Math.max(0, k)));
    };
    svg.addEventListener('pointerdown', (ev) => {
      svg.setPointerCapture(ev.pointerId);
      pick(ev);
    });
    svg.addEventListener('pointermove', (ev) => ev.buttons & 1 && pick(ev));
    this.svg = svg;
  }

  /** The x of layer k and the y of value v, in the SVG's coordinates. */
  readonly x: (k: number) => number;
  readonly y: (v: number) => number;

  /** The left and right ends of the plot, for rules across it. */
  get left(): number {
    return PAD.left;
  }

  get right(): number {
    return W - PAD.right;
  }

  /** A label "max 0.412 · layer 3 …" beside point (k, v), on the side with room. */
  sideLabel(k: number, v: number, label: string, cls: string): SVGElement {
    const right = this.x(k) < (PAD.left + W - PAD.right) / 2;
    return svgText(this.x(k) + (right ? 12 : -12), this.y(v) + 4, label, `${cls} ${right ? '' : 'end'}`);
  }

  /** The cursor, drawn over everything added before; call once the series are in. */
  addCursor(): void {
    this.cursor = svgEl('line', {
      x1: this.x(0),
      x2: this.x(0),
      y1: PAD.top,
      y2: H - PAD.bottom,
      class: 'cursor',
      'data-role': 'cursor',
    }) as SVGLineElement;
    this.svg.append(this.cursor);
  }

  /** Moves the cursor to layer k. */
  setCursor(k: number): void {
    if (!this.cursor) return;
    const px = this.x(Math.min(this.n - 1, Math.max(0, k)));
    this.cursor.setAttribute('x1', String(px));
    this.cursor.setAttribute('x2', String(px));
    this.cursor.dataset.layer = String(k);
  }
}

export function svgEl(tag: string, attrs: Record<string, string | number>): SVGElement {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

export function svgText(x: number, y: number, s: string, cls: string): SVGElement {
  const t = svgEl('text', { x, y, class: cls });
  t.textContent = s;
  return t;
}

/** A <title> tooltip for an SVG element. */
export function svgTip(e: SVGElement, text: string): SVGElement {
  const tip = document.createElementNS(NS, 'title');
  tip.textContent = text;
  e.append(tip);
  return e;
}
