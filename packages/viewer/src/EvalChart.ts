/**
 * An eval folder's per-layer curve: for one method and metric of aggregates.json (picked from a
 * menu when there are several), the mean over the images at each layer as points joined by a
 * line, its 95% t-interval shaded as a band, the best layer ringed, the model's mean over layers
 * as a dashed rule and a cursor on the layer the gallery shows. Pressing or dragging across the
 * chart picks the layer under the pointer.
 */
import type { MethodAggregate } from '@camanim/cam-methods';
import { LayerChart, svgEl, svgText, svgTip } from './LayerChart.ts';

/** One curve of the folder: a method and a metric. */
export interface EvalCurve {
  /** "gradcam:road" (?method=). */
  readonly id: string;
  readonly title: string;
  readonly aggregate: MethodAggregate;
}

export function evalCurves(methods: readonly MethodAggregate[]): EvalCurve[] {
  return methods.map((m) => ({
    id: `${m.method}:${m.metric}`,
    title: `${m.method} · ${metricTitle(m.metric)} per layer`,
    aggregate: m,
  }));
}

/** "ROAD" for road, the id otherwise. */
export function metricTitle(metric: string): string {
  return metric === 'road' ? 'ROAD' : metric;
}

export class EvalChart {
  private chart?: LayerChart;
  onLayer?: (layer: number) => void;
  onCurve?: (id: string) => void;

  constructor(readonly root: HTMLElement) {}

  show(curves: readonly EvalCurve[], curve: EvalCurve, layer: number): void {
    this.root.replaceChildren();
    const title = document.createElement('div');
    title.className = 'chart-title';
    if (curves.length > 1) {
      const pick = document.createElement('select');
      pick.dataset.role = 'curve';
      pick.setAttribute('aria-label', 'Method and metric');
      pick.append(...curves.map((c) => new Option(c.title, c.id, false, c === curve)));
      pick.onchange = () => this.onCurve?.(pick.value);
      title.append(pick);
    } else {
      title.textContent = curve.title;
    }
    const m = curve.aggregate;
    const note = document.createElement('div');
    note.className = 'chart-note-line';
    note.dataset.role = 'curve-note';
    const mm = m.modelMean;
    note.textContent = `mean over ${mm.n} images, 95% t-interval shaded · model mean ${fixed(mm.mean)} [${fixed(mm.lo)}, ${fixed(mm.hi)}]`;
    this.root.append(title, this.draw(curve), note);
    this.setCurrent(layer);
  }

  setCurrent(k: number): void {
    this.chart?.setCursor(k);
  }

  private draw(curve: EvalCurve): SVGSVGElement {
    const m = curve.aggregate;
    const stats = m.layers.map((l) => l.stats);
    const n = stats.length;
    const chart = new LayerChart(
      n,
      [...stats.flatMap((s) => [s.mean, s.lo, s.hi]), m.modelMean.mean],
      { 'aria-label': curve.title, 'data-curve': curve.id },
      (k) => this.onLayer?.(k),
    );
    const { svg, x, y } = chart;
    // The band: one polygon per run of layers with both bounds (fewer than 2 images leave none).
    for (const run of runs(stats.map((s) => Number.isFinite(s.lo) && Number.isFinite(s.hi)))) {
      const upper = run.map((k) => `${x(k)},${y(stats[k].hi)}`);
      const lower = [...run].reverse().map((k) => `${x(k)},${y(stats[k].lo)}`);
      svg.append(
        svgEl('polygon', {
          points: [...upper, ...lower].join(' '),
          class: 'ci',
          'data-role': 'ci',
          'data-layers': run.join(','),
          'data-lo': run.map((k) => stats[k].lo).join(','),
          'data-hi': run.map((k) => stats[k].hi).join(','),
        }),
      );
    }
    const model = m.modelMean.mean;
    if (Number.isFinite(model))
      svg.append(
        svgEl('line', { x1: chart.left, x2: chart.right, y1: y(model), y2: y(model), class: 'mean', 'data-role': 'mean' }),
        svgText(chart.left + 4, y(model) - 4, `model mean ${model.toFixed(3)}`, 'mean-label'),
      );
    for (const run of runs(stats.map((s) => Number.isFinite(s.mean))))
      svg.append(svgEl('polyline', { points: run.map((k) => `${x(k)},${y(stats[k].mean)}`).join(' '), class: 'series' }));
    const best = argmax(stats.map((s) => s.mean));
    stats.forEach((s, k) => {
      if (!Number.isFinite(s.mean)) return;
      const c = svgEl('circle', {
        cx: x(k),
        cy: y(s.mean),
        r: n > 80 ? 1.6 : 3,
        class: k === best ? 'point max' : 'point',
        'data-layer': k,
        'data-value': s.mean,
        'data-lo': s.lo,
        'data-hi': s.hi,
        'data-n': s.n,
      });
      const tip = `layer ${k + 1} ${m.layers[k].name}: mean ${metricTitle(m.metric)} ${s.mean.toFixed(4)} [${fixed(s.lo, 4)}, ${fixed(s.hi, 4)}] (95% CI, n = ${s.n})`;
      svg.append(svgTip(c, tip));
    });
    if (best >= 0) {
      const v = stats[best].mean;
      svg.append(svgEl('circle', { cx: x(best), cy: y(v), r: 7, class: 'max-ring', 'data-role': 'max', 'data-layer': best }));
      svg.append(chart.sideLabel(best, v, `max ${v.toFixed(3)} · layer ${best + 1}`, 'max-label'));
    }
    chart.addCursor();
    this.chart = chart;
    return svg;
  }
}

/** Runs of consecutive indices where `ok` holds. */
function runs(ok: readonly boolean[]): number[][] {
  const out: number[][] = [];
  ok.forEach((good, k) => {
    if (!good) return;
    if (k > 0 && ok[k - 1]) out[out.length - 1].push(k);
    else out.push([k]);
  });
  return out;
}

/** The index of the largest finite value, −1 when none is. */
function argmax(v: readonly number[]): number {
  let best = -1;
  v.forEach((x, k) => {
    if (Number.isFinite(x) && (best < 0 || x > v[best])) best = k;
  });
  return best;
}

/** v with `digits` decimals, '–' when it is not a number (an interval over fewer than 2 images). */
export function fixed(v: number, digits = 3): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '–';
}
