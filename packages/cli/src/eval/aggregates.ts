/**
 * Aggregates of an eval over the images that were scored: per (method, layer) the mean of each
 * metric and its 95% confidence interval (Student's t-interval: mean ± t(0.975, n−1)·sd/√n), the
 * distribution of each image's best layer, per-class means (the layer × class heat map), the
 * model's ybROAD_mean (the mean over layers, per image) with its t-interval, and accuracy.
 */
import type { Aggregates, MeanCi } from '@camanim/cam-methods';
import type { ImageRow, ScoreRow } from './store.ts';

/** aggregates.json's schema is cam-methods' (eval-folder/schema.ts), which the viewer reads too. */
export type { Aggregates, MeanCi, MethodAggregate } from '@camanim/cam-methods';

export function aggregate(images: readonly ImageRow[], scores: readonly ScoreRow[]): Aggregates {
  const ok = images.filter((i) => i.status === 'ok');
  const labelled = ok.filter((i) => i.labelIndex !== null);
  const correct = labelled.filter((i) => i.labelIndex === i.predicted).length;
  const label = new Map(ok.map((i) => [i.imageHash, i.label ?? '(none)']));
  const groups = new Map<string, ScoreRow[]>();
  for (const s of scores) {
    const k = `${s.method}\u0000${s.metric}`;
    groups.set(k, [...(groups.get(k) ?? []), s]);
  }
  const methods = [...groups.values()].map((rows) => {
    const L = Math.max(...rows.map((r) => r.layer)) + 1;
    const names: string[] = Array(L).fill('');
    const perImage = new Map<string, number[]>();
    for (const r of rows) {
      names[r.layer] = r.layerName;
      const v = perImage.get(r.imageHash) ?? Array(L).fill(NaN);
      v[r.layer] = r.value;
      perImage.set(r.imageHash, v);
    }
    const series = [...perImage.values()];
    const bestLayer = Array(L).fill(0);
    for (const v of series) bestLayer[argmax(v)]++;
    const perClass: Record<string, number[]> = {};
    for (const c of [...new Set([...perImage.keys()].map((h) => label.get(h) ?? '(none)'))].sort()) {
      const of = [...perImage].filter(([h]) => (label.get(h) ?? '(none)') === c).map(([, v]) => v);
      perClass[c] = names.map((_, k) => meanCi(of.map((v) => v[k])).mean);
    }
    return {
      method: rows[0].method,
      metric: rows[0].metric,
      layers: names.map((name, layer) => ({ layer, name, stats: meanCi(series.map((v) => v[layer])) })),
      bestLayer,
      perClass,
      modelMean: meanCi(series.map((v) => v.reduce((a, b) => a + b, 0) / v.length)),
    };
  });
  return {
    images: ok.length,
    failed: images.length - ok.length,
    accuracy: { labelled: labelled.length, correct, value: labelled.length ? correct / labelled.length : null },
    methods,
  };
}

/** Mean, sample sd and the 95% t-interval of the finite values. */
export function meanCi(values: readonly number[]): MeanCi {
  const v = values.filter(Number.isFinite);
  const n = v.length;
  const mean = n ? v.reduce((a, b) => a + b, 0) / n : NaN;
  const sd = n > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : NaN;
  const half = n > 1 ? tQuantile(0.975, n - 1) * (sd / Math.sqrt(n)) : NaN;
  return { n, mean, sd, lo: mean - half, hi: mean + half };
}

function argmax(v: readonly number[]): number {
  let best = 0;
  for (let k = 1; k < v.length; k++) if (v[k] > v[best]) best = k;
  return best;
}

/** Student's t quantile, by bisection on its CDF (the regularized incomplete beta). */
export function tQuantile(p: number, df: number): number {
  let lo = 0;
  let hi = 1e3;
  for (let k = 0; k < 200; k++) {
    const mid = (lo + hi) / 2;
    if (tCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

function tCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** I_x(a, b) by its continued fraction (Lentz), swapped to the side where it converges. */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let f = d;
  for (let m = 1; m <= 300; m++) {
    for (const num of [
      (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m)),
      -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1)),
    ]) {
      d = 1 + num * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + num / c;
      if (Math.abs(c) < tiny) c = tiny;
      f *= d * c;
    }
    if (Math.abs(d * c - 1) < 1e-15) break;
  }
  return (front * f) / a;
}

/** Lanczos approximation (g = 7, 9 terms). */
function logGamma(z: number): number {
  const g = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (z < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * z))) - logGamma(1 - z);
  const x = z - 1;
  let s = g[0];
  for (let k = 1; k < 9; k++) s += g[k] / (x + k);
  const t = x + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(s);
}
