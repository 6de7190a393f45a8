/**
 * The per-layer metric chart: any metric of the explanation (the ybROAD of CAManim, Kaczmarek
 * et al., and the bundle's others: confidence drop/increase, insertion/deletion AUC, MPRT, …),
 * picked from a menu when there are several. Values per layer as points joined by a line, the
 * best layer ringed and named, the mean as a dashed rule, a cursor on the current layer; a
 * ROAD point's tooltip gives MoRF and LeRF at each percentile. Dragging across the chart
 * scrubs: the camera flies to the layer under the pointer.
 */
import { niceTicks } from '@camanim/cam-methods';
import type { CamSet, MetricView } from './CamSet.ts';

const NS = 'http://www.w3.org/2000/svg';
const W = 440;
const H = 190;
const PAD = { left: 46, right: 12, top: 16, bottom: 28 };

export class MetricChart {
  private svg?: SVGSVGElement;
  private cursor?: SVGLineElement;
  private count = 0;
  onScrub?: (layer: number) => void;

  constructor(readonly root: HTMLElement) {}

  private chosen?: string;
  private current = 0;

  show(set: CamSet): void {
    this.root.innerHTML = '';
    this.svg = undefined;
    this.count = set.layers.length;
    const metrics = set.metrics;
    const metric = metrics.find((m) => m.id === this.chosen) ?? metrics[0];
    const title = document.createElement('div');
    title.className = 'chart-title';
    if (metrics.length > 1) {
      const pick = document.createElement('select');
      pick.dataset.role = 'metric';
      pick.setAttribute('aria-label', 'Metric');
      pick.append(...metrics.map((m) => new Option(m.title, m.id, false, m === metric)));
      pick.onchange = () => {
        this.chosen = pick.value;
        this.show(set);
      };
      title.append(pick);
    } else {
      title.textContent = metric?.title ?? 'ybROAD · ROAD per layer';
    }
    this.root.append(title);
    if (!metric) {
      const note = document.createElement('div');
      note.className = 'chart-note';
      note.dataset.role = 'no-ybroad';
      note.textContent = set.info.ybroadNote ?? 'No ybROAD for this explanation';
      this.root.append(note);
      return;
    }
    this.draw(set, metric);
    this.setCurrent(this.current);
  }

  /** The metric shown (its id), for tests and scripts. */
  get shown(): string | undefined {
    return this.svg?.dataset.metric;
  }

  private draw(set: CamSet, metric: MetricView): void {
    const values = metric.values;
    const meanValue = metric.road?.mean ?? values.reduce((a, b) => a + b, 0) / values.length;
    const yb = { values, mean: meanValue, max: { layer: metric.best, value: values[metric.best] } };
    const n = values.length;
    // The axis between nice ticks covering the series, its mean and 0 (cam-methods' niceTicks, as the CLI's chart).
    const ticks = niceTicks(Math.min(0, ...yb.values, yb.mean), Math.max(0, ...yb.values, yb.mean), 3);
    const lo = ticks.values[0];
    const hi = ticks.values[ticks.values.length - 1];
    const x = (k: number) => PAD.left + (n <= 1 ? 0.5 : k / (n - 1)) * (W - PAD.left - PAD.right);
    const y = (v: number) => PAD.top + (1 - (v - lo) / (hi - lo)) * (H - PAD.top - PAD.bottom);
    const svg = el('svg', {
      viewBox: `0 0 ${W} ${H}`,
      class: 'chart',
      role: 'img',
      'aria-label': `${metric.title}`,
      'data-metric': metric.id,
    }) as SVGSVGElement;
    svg.append(el('line', { x1: PAD.left, x2: W - PAD.right, y1: y(0), y2: y(0), class: 'axis' }));
    svg.append(el('line', { x1: PAD.left, x2: PAD.left, y1: PAD.top, y2: H - PAD.bottom, class: 'axis' }));
    for (const v of ticks.values) svg.append(text(PAD.left - 6, y(v) + 4, v.toFixed(ticks.decimals), 'tick end y-tick'));
    svg.append(text(PAD.left, H - 8, '1', 'tick'));
    svg.append(text(W - PAD.right, H - 8, String(n), 'tick end'));
    svg.append(text((PAD.left + W - PAD.right) / 2, H - 8, 'layer', 'tick middle'));
    const mean = el('line', {
      x1: PAD.left,
      x2: W - PAD.right,
      y1: y(yb.mean),
      y2: y(yb.mean),
      class: 'mean',
      'data-role': 'mean',
    });
    svg.append(mean, text(W - PAD.right, y(yb.mean) - 4, `mean ${yb.mean.toFixed(3)}`, 'mean-label end'));
    svg.append(el('polyline', { points: yb.values.map((v, k) => `${x(k)},${y(v)}`).join(' '), class: 'series' }));
    yb.values.forEach((v, k) => {
      const c = el('circle', {
        cx: x(k),
        cy: y(v),
        r: n > 80 ? 1.6 : 3,
        class: k === yb.max.layer ? 'point max' : 'point',
        'data-layer': k,
        'data-value': v,
      });
      const tip = document.createElementNS(NS, 'title');
      tip.textContent = pointTip(set, metric, k);
      c.append(tip);
      svg.append(c);
    });
    const best = yb.max.layer;
    svg.append(
      el('circle', { cx: x(best), cy: y(yb.values[best]), r: 7, class: 'max-ring', 'data-role': 'max', 'data-layer': best }),
    );
    const label = `${metric.better === 'higher' ? 'max' : 'min'} ${yb.max.value.toFixed(3)} · layer ${best + 1} ${set.layers[best].opType}`;
    const right = x(best) < (PAD.left + W - PAD.right) / 2;
    svg.append(text(x(best) + (right ? 12 : -12), y(yb.values[best]) + 4, label, `max-label ${right ? '' : 'end'}`));
    this.cursor = el('line', {
      x1: x(0),
      x2: x(0),
      y1: PAD.top,
      y2: H - PAD.bottom,
      class: 'cursor',
      'data-role': 'cursor',
    }) as SVGLineElement;
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
    this.current = k;
    if (!this.cursor) return;
    const px = this.xOf(Math.min(this.count - 1, Math.max(0, k)));
    this.cursor.setAttribute('x1', String(px));
    this.cursor.setAttribute('x2', String(px));
    this.cursor.dataset.layer = String(k);
  }

  private xOf: (k: number) => number = () => 0;
}

/** "layer 12 /stages.1/…: ROAD 0.3120" and, for ROAD, MoRF and LeRF at each percentile. */
function pointTip(set: CamSet, metric: MetricView, k: number): string {
  const head = `layer ${k + 1} ${set.layers[k].name}: ${metric.road ? 'ROAD' : metric.title} ${metric.values[k].toFixed(4)}`;
  const r = metric.road;
  if (!r) return head;
  return [head, ...r.percentiles.map((p, j) => `p ${p}: MoRF ${r.morf[k][j].toFixed(4)} · LeRF ${r.lerf[k][j].toFixed(4)}`)].join(
    '\n',
  );
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
