/**
 * Axis ticks at nice numbers (1, 2, 2.5 or 5 times a power of ten) covering [lo, hi], for the
 * charts of per-layer scores (the CLI's ybroad.svg, the viewer's chart): the axis runs from the
 * first tick to the last, and each label has as many decimals as the step needs.
 */
export interface Ticks {
  readonly values: readonly number[];
  readonly step: number;
  /** Decimals that print every tick exactly. */
  readonly decimals: number;
}

export function niceTicks(lo: number, hi: number, target = 5): Ticks {
  if (!(Number.isFinite(lo) && Number.isFinite(hi))) throw new RangeError(`niceTicks needs finite bounds, got ${lo}..${hi}`);
  if (!(hi > lo)) [lo, hi] = [lo - 1, lo + 1];
  const raw = (hi - lo) / Math.max(1, target - 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9) + (step / power === 2.5 ? 1 : 0));
  const values = Array.from({ length: last - first + 1 }, (_, k) => Number(((first + k) * step).toFixed(decimals)));
  return { values, step, decimals };
}
