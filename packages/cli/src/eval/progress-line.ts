/** The progress line of `camanim eval`, the same in a single-process run and on a queue's coordinator. */
export function progressLine(done: number, total: number, startedMs: number, tail: string): string {
  const rate = done / ((performance.now() - startedMs) / 1000);
  return `eval: ${done}/${total} images · ${rate.toFixed(2)} images/s · ETA ${((total - done) / rate).toFixed(0)} s${tail}`;
}
