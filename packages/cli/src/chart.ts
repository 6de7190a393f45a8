/**
 * The per-layer chart of a metric (ybROAD, the metrics beside it, MPRT): SVG, rendered to PNG by
 * sharp. Nice y ticks (cam-methods' niceTicks) that cover the series, its mean and 0.
 */
import { niceTicks } from '@camanim/cam-methods';
import sharp from 'sharp';
import { escapeXml, fit, fmt } from './frames.ts';

const FONT = "'DejaVu Sans', 'Liberation Sans', sans-serif";

/** A per-layer series: its values, their mean, the layer marked (the best one) and the y axis' name. */
export interface ChartSeries {
  readonly values: readonly number[];
  readonly mean: number;
  readonly mark: { readonly layer: number; readonly name: string; readonly word: string };
  readonly axis: string;
  /** A confidence band around the values (camanim eval's 95% CI per layer), shaded. */
  readonly band?: { readonly lo: readonly number[]; readonly hi: readonly number[] };
}

/** Line/point chart: layer index on x, the metric on y, one layer marked and named, the mean dashed. */
export function seriesChartSvg(y: ChartSeries, title: string, width = 720, height = 400): string {
  const values = y.values;
  const n = values.length;
  const left = 70;
  const right = 20;
  const top = 40;
  const bottom = 56;
  const pw = width - left - right;
  const ph = height - top - bottom;
  // The axis runs between nice ticks that cover the series, its mean and 0.
  const bounds = [...values, ...(y.band ? [...y.band.lo, ...y.band.hi].filter(Number.isFinite) : [])];
  const ticks = niceTicks(Math.min(0, ...bounds, y.mean), Math.max(0, ...bounds, y.mean));
  const lo = ticks.values[0];
  const hi = ticks.values[ticks.values.length - 1];
  const X = (k: number) => left + (n <= 1 ? pw / 2 : (k * pw) / (n - 1));
  const Y = (v: number) => top + ((hi - v) / (hi - lo)) * ph;
  const el: string[] = [];
  const text = (x: number, yy: number, s: string, size = 12, anchor = 'start', fill = '#222', extra = '') =>
    el.push(
      `<text x="${x.toFixed(1)}" y="${yy.toFixed(1)}" font-family="${FONT}" font-size="${size}" text-anchor="${anchor}" fill="${fill}"${extra}>${escapeXml(s)}</text>`,
    );
  el.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  text(width / 2, 24, fit(title, width - 20, 14), 14, 'middle', '#111', ' font-weight="bold"');
  // Y ticks and grid.
  for (const v of ticks.values) {
    const yy = Y(v);
    el.push(`<line x1="${left}" y1="${yy.toFixed(1)}" x2="${left + pw}" y2="${yy.toFixed(1)}" stroke="#e4e4e4"/>`);
    text(left - 6, yy + 4, v.toFixed(ticks.decimals), 11, 'end', '#555', ' data-role="tick"');
  }
  if (lo < 0 && hi > 0)
    el.push(`<line x1="${left}" y1="${Y(0).toFixed(1)}" x2="${left + pw}" y2="${Y(0).toFixed(1)}" stroke="#999"/>`);
  // X ticks (1-based layer index, as in the frame captions).
  const stepX = Math.max(1, Math.ceil(n / 12));
  for (let k = 0; k < n; k += stepX) text(X(k), top + ph + 16, String(k + 1), 11, 'middle', '#555');
  el.push(`<rect x="${left}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  // Mean rule.
  el.push(
    `<line data-role="mean" x1="${left}" y1="${Y(y.mean).toFixed(1)}" x2="${left + pw}" y2="${Y(y.mean).toFixed(1)}" stroke="#888" stroke-dasharray="6 4"/>`,
  );
  text(left + pw - 4, Y(y.mean) - 4, `mean ${fmt(y.mean)}`, 11, 'end', '#666');
  if (y.band && n > 1) {
    const edge = [...y.band.hi.map((v, k) => [k, v]), ...y.band.lo.map((v, k) => [k, v]).reverse()].filter(([, v]) =>
      Number.isFinite(v),
    );
    el.push(
      `<polygon data-role="band" fill="#1f77b4" fill-opacity="0.18" stroke="none" points="${edge.map(([k, v]) => `${X(k).toFixed(1)},${Y(v).toFixed(1)}`).join(' ')}"/>`,
    );
  }
  // Series.
  if (n > 1)
    el.push(
      `<polyline data-role="series" fill="none" stroke="#1f77b4" stroke-width="2" points="${values.map((v, k) => `${X(k).toFixed(1)},${Y(v).toFixed(1)}`).join(' ')}"/>`,
    );
  values.forEach((v, k) => el.push(`<circle cx="${X(k).toFixed(1)}" cy="${Y(v).toFixed(1)}" r="3" fill="#1f77b4"/>`));
  // The marked layer.
  const m = y.mark.layer;
  if (values[m] !== undefined) {
    el.push(
      `<circle data-role="max" cx="${X(m).toFixed(1)}" cy="${Y(values[m]).toFixed(1)}" r="6" fill="none" stroke="#d62728" stroke-width="2.5"/>`,
    );
    // On the side of the ring with more room, shortened to the room there: never past the plot.
    const room = { start: left + pw - (X(m) + 9) - 4, end: X(m) - 9 - left - 4 };
    const anchor = room.start >= room.end ? 'start' : 'end';
    const label = fit(`${y.mark.word} ${fmt(values[m])} · layer ${m + 1} · ${y.mark.name}`, room[anchor], 11);
    text(
      X(m) + (anchor === 'end' ? -9 : 9),
      Math.max(top + 12, Y(values[m]) - 8),
      label,
      11,
      anchor,
      '#d62728',
      ' data-role="max-label"',
    );
  }
  text(left + pw / 2, height - 14, 'layer (index in the animation)', 12, 'middle', '#222');
  el.push(
    `<text x="18" y="${(top + ph / 2).toFixed(1)}" font-family="${FONT}" font-size="12" text-anchor="middle" fill="#222" transform="rotate(-90 18 ${(top + ph / 2).toFixed(1)})">${escapeXml(y.axis)}</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${el.join('')}</svg>\n`;
}

export function chartPng(svg: string): Promise<Buffer> {
  return sharp(Buffer.from(svg)).png().toBuffer();
}
