/**
 * report.html of `camanim eval`: per method, the ybROAD curve (the per-layer mean over the
 * images, its 95% t-interval shaded: chart.ts, the CLI's one per-layer chart) and a layer × class
 * heat map of the per-class means, with the model's ybROAD_mean, the best-layer distribution and
 * the accuracy. One self-contained file (inline SVG).
 */
import { seriesChartSvg } from '../chart.ts';
import { escapeXml, fmt } from '../frames.ts';
import type { Aggregates, MeanCi, MethodAggregate } from './aggregates.ts';

export function evalReportHtml(a: Aggregates, title: string): string {
  const acc =
    a.accuracy.value === null
      ? 'no label names a model class'
      : `${fmt(a.accuracy.value * 100)}% (${a.accuracy.correct}/${a.accuracy.labelled})`;
  const sections = a.methods
    .map((m) => {
      const best = m.bestLayer.indexOf(Math.max(...m.bestLayer));
      const curve = seriesChartSvg(
        {
          values: m.layers.map((l) => l.stats.mean),
          mean: m.modelMean.mean,
          mark: { layer: best, name: m.layers[best]?.name ?? '', word: 'most often best' },
          axis: `${m.metric} (mean, 95% CI)`,
          band: { lo: m.layers.map((l) => l.stats.lo), hi: m.layers.map((l) => l.stats.hi) },
        },
        `ybROAD over ${m.modelMean.n} images · ${m.method}`,
      );
      return `<section><h2>${escapeXml(m.method)} · ${escapeXml(m.metric)}</h2>
<p>ybROAD_mean ${ci(m.modelMean)} (95% t-interval over images)</p>
${curve}${heatMapSvg(m)}
<p>Best layer per image: ${m.bestLayer
        .map((c, k) => (c ? `layer ${k + 1}: ${c}` : ''))
        .filter(Boolean)
        .join(' · ')}</p></section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title>
<style>body{font-family:'DejaVu Sans',sans-serif;margin:2em;color:#222}svg{display:block;margin:1em 0}</style></head>
<body><h1>${escapeXml(title)}</h1>
<p>${a.images} images scored, ${a.failed} failed · accuracy ${acc}</p>
${sections}
</body></html>
`;
}

function ci(s: MeanCi): string {
  return `${fmt(s.mean)} [${fmt(s.lo)}, ${fmt(s.hi)}]`;
}

/** Rows: classes; columns: layers; colour: the class's mean, blue (low) to red (high). */
export function heatMapSvg(m: MethodAggregate, cell = 18): string {
  const classes = Object.keys(m.perClass);
  const L = m.layers.length;
  const left = 150;
  const top = 30;
  const all = classes.flatMap((c) => m.perClass[c]).filter(Number.isFinite);
  const [lo, hi] = [Math.min(...all), Math.max(...all)];
  const colour = (v: number) => {
    if (!Number.isFinite(v)) return '#ddd';
    const t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
    return `rgb(${Math.round(40 + 215 * t)},${Math.round(80 + 60 * (1 - Math.abs(2 * t - 1)))},${Math.round(255 - 215 * t)})`;
  };
  const el = classes.flatMap((c, r) => [
    `<text x="${left - 6}" y="${top + r * cell + cell * 0.7}" font-size="11" text-anchor="end">${escapeXml(c)}</text>`,
    ...m.perClass[c].map(
      (v, k) =>
        `<rect data-role="cell" x="${left + k * cell}" y="${top + r * cell}" width="${cell}" height="${cell}" fill="${colour(v)}"><title>${escapeXml(c)} · layer ${k + 1}: ${fmt(v)}</title></rect>`,
    ),
  ]);
  const width = left + L * cell + 20;
  const height = top + classes.length * cell + 30;
  const caption = `layer × class: mean ${m.metric} (${fmt(lo)} blue … ${fmt(hi)} red)`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="'DejaVu Sans', sans-serif"><text x="${left}" y="18" font-size="12">${escapeXml(caption)}</text>${el.join('')}<text x="${left}" y="${height - 8}" font-size="11">layer 1 … ${L}</text></svg>\n`;
}
