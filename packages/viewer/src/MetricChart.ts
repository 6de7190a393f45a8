/**
 * The per-layer metric chart: any metric of the explanation (the ybROAD of CAManim, Kaczmarek
 * et al., and the bundle's others: confidence drop/increase, insertion/deletion AUC, MPRT, …),
 * picked from a menu when there are several. Values per layer as points joined by a line, the
 * best layer ringed and named, the mean as a dashed rule, a cursor on the current layer; a
 * ROAD point's tooltip gives MoRF and LeRF at each percentile. Dragging across the chart
 * scrubs: the camera flies to the layer under the pointer.
 */
import type { CamSet, MetricView } from './CamSet.ts';
import { LayerChart, svgEl, svgText, svgTip } from './LayerChart.ts';

export class MetricChart {
  private chart?: LayerChart;
  onScrub?: (layer: number) => void;

  constructor(readonly root: HTMLElement) {}

  private chosen?: string;
  private current = 0;

  show(set: CamSet): void {
    this.root.innerHTML = '';
    this.chart = undefined;
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
    return this.chart?.svg.dataset.metric;
  }

  private draw(set: CamSet, metric: MetricView): void {
    const values = metric.values;
    const present = values.filter((v): v is number => v !== null);
    const best = metric.best;
    const n = values.length;
    if (!present.length) {
      const note = document.createElement('div');
      note.className = 'chart-note';
      note.dataset.role = 'no-values';
      note.textContent = `${metric.title}: no layer has a value (constant maps)`;
      this.root.append(note);
      return;
    }
    const chart = new LayerChart(n, present, { 'aria-label': metric.title, 'data-metric': metric.id }, (k) => this.onScrub?.(k));
    const { svg, x, y } = chart;
    // The mean over the layers with a value; a layer without one is a gap in the line.
    const mean = metric.road?.mean ?? present.reduce((a, b) => a + b, 0) / present.length;
    svg.append(
      svgEl('line', { x1: chart.left, x2: chart.right, y1: y(mean), y2: y(mean), class: 'mean', 'data-role': 'mean' }),
      svgText(chart.right, y(mean) - 4, `mean ${mean.toFixed(3)}`, 'mean-label end'),
      ...runs(values).map((run) =>
        svgEl('polyline', { points: run.map((k) => `${x(k)},${y(values[k]!)}`).join(' '), class: 'series' }),
      ),
    );
    values.forEach((v, k) => {
      if (v === null) return;
      const c = svgEl('circle', {
        cx: x(k),
        cy: y(v),
        r: n > 80 ? 1.6 : 3,
        class: k === best ? 'point max' : 'point',
        'data-layer': k,
        'data-value': v,
      });
      svg.append(svgTip(c, pointTip(set, metric, k)));
    });
    const top = values[best]!;
    svg.append(svgEl('circle', { cx: x(best), cy: y(top), r: 7, class: 'max-ring', 'data-role': 'max', 'data-layer': best }));
    const label = `${metric.better === 'higher' ? 'max' : 'min'} ${top.toFixed(3)} · layer ${best + 1} ${set.layers[best].opType}`;
    svg.append(chart.sideLabel(best, top, label, 'max-label'));
    chart.addCursor();
    this.root.append(svg);
    this.chart = chart;
  }

  /** Moves the cursor to layer k. */
  setCurrent(k: number): void {
    this.current = k;
    this.chart?.setCursor(k);
  }
}

/** The layers in runs of consecutive values, split at each layer without one. */
function runs(values: readonly (number | null)[]): number[][] {
  const out: number[][] = [];
  values.forEach((v, k) => {
    if (v === null) return;
    if (k > 0 && values[k - 1] !== null) out[out.length - 1].push(k);
    else out.push([k]);
  });
  return out;
}

/** "layer 12 /stages.1/…: ROAD 0.3120" and, for ROAD, MoRF and LeRF at each percentile. */
function pointTip(set: CamSet, metric: MetricView, k: number): string {
  const head = `layer ${k + 1} ${set.layers[k].name}: ${metric.road ? 'ROAD' : metric.title} ${metric.values[k]?.toFixed(4)}`;
  const r = metric.road;
  if (!r) return head;
  return [head, ...r.percentiles.map((p, j) => `p ${p}: MoRF ${r.morf[k][j].toFixed(4)} · LeRF ${r.lerf[k][j].toFixed(4)}`)].join(
    '\n',
  );
}
