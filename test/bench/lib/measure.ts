/**
 * Timing: warm-up, then N repetitions, median. N is the smaller of the requested count and
 * what fits in a time budget (judged from the warm-up), but at least `minReps`; every row says
 * which N it used.
 */

export interface Timing {
  /** Median in ms. */
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly reps: number;
  /** The warm-up runs' times, ms (the first one includes pipeline compilation). */
  readonly warmup: readonly number[];
  readonly samples: readonly number[];
}

export interface MeasureOptions {
  readonly warmup?: number;
  readonly reps: number;
  readonly minReps?: number;
  /** Stop adding repetitions once this much time (ms) went into them. */
  readonly budgetMs?: number;
  readonly label?: string;
}

export function measure(fn: () => Promise<unknown>, opts: MeasureOptions): Promise<Timing> {
  return repeat(() => time(fn), opts);
}

/** As measure, with the times (ms) that `fn` reports: measured where the work ran, e.g. inside a page. */
export function measureReported(fn: () => Promise<number>, opts: MeasureOptions): Promise<Timing> {
  return repeat(fn, opts);
}

async function repeat(sample: () => Promise<number>, opts: MeasureOptions): Promise<Timing> {
  const warm: number[] = [];
  for (let k = 0; k < (opts.warmup ?? 1); k++) warm.push(await sample());
  const minReps = Math.min(opts.reps, opts.minReps ?? 3);
  const samples: number[] = [];
  let spent = 0;
  while (samples.length < opts.reps && (samples.length < minReps || opts.budgetMs === undefined || spent < opts.budgetMs)) {
    const t = await sample();
    samples.push(t);
    spent += t;
    if (opts.label) progress(`  ${opts.label}: rep ${samples.length} ${fmtMs(t)}`);
  }
  return summarize(samples, warm);
}

export function summarize(samples: readonly number[], warmup: readonly number[] = []): Timing {
  return { median: median(samples), min: Math.min(...samples), max: Math.max(...samples), reps: samples.length, warmup, samples };
}

export async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms >= 600_000) return `${(ms / 60_000).toFixed(ms >= 6_000_000 ? 0 : 1)} min`;
  if (ms >= 100_000) return `${(ms / 1000).toFixed(0)} s`;
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(1)} ms`;
}

export function fmtRatio(r: number): string {
  if (!Number.isFinite(r)) return 'n/a';
  return r >= 100 ? `${r.toFixed(0)}×` : r >= 10 ? `${r.toFixed(1)}×` : `${r.toFixed(2)}×`;
}

/** Progress goes to stderr; tables go to stdout. */
export function progress(msg: string): void {
  process.stderr.write(`[bench ${clock()}] ${msg}\n`);
}

const start = performance.now();
function clock(): string {
  const s = Math.round((performance.now() - start) / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export { randomInput } from '../page/random-input.js';

/** An error's first line, for a table note. */
export function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}
