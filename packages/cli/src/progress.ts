/**
 * Progress bars (cli-progress, on stderr, only on a terminal and without --quiet) and the
 * timing summary printed at the end.
 */
import { Presets, SingleBar } from 'cli-progress';
import type { Io } from './io.ts';

export interface Step {
  tick(n?: number): void;
  done(): void;
}

export class Progress {
  private readonly timings: { label: string; ms: number }[] = [];
  private readonly started = performance.now();

  constructor(
    private readonly io: Io,
    private readonly quiet: boolean,
  ) {}

  get bars(): boolean {
    return this.io.tty && !this.quiet;
  }

  /** A step of `total` units; its time goes into the summary. */
  step(label: string, total = 1): Step {
    const t0 = performance.now();
    let bar: SingleBar | undefined;
    if (this.bars) {
      bar = new SingleBar(
        {
          format: `${label.padEnd(28).slice(0, 28)} [{bar}] {value}/{total} {duration_formatted}`,
          stream: this.io.errStream,
          hideCursor: true,
          barsize: 30,
        },
        Presets.shades_classic,
      );
      bar.start(total, 0);
    }
    let closed = false;
    return {
      tick: (n = 1) => bar?.increment(n),
      done: () => {
        if (closed) return;
        closed = true;
        bar?.update(total);
        bar?.stop();
        this.timings.push({ label, ms: performance.now() - t0 });
      },
    };
  }

  /** Runs `fn` as a step of one unit. */
  async time<T>(label: string, fn: (step: Step) => Promise<T>, total = 1): Promise<T> {
    const s = this.step(label, total);
    try {
      return await fn(s);
    } finally {
      s.done();
    }
  }

  notice(text: string): void {
    if (!this.quiet) this.io.err(`${text}\n`);
  }

  summary(): string {
    const total = performance.now() - this.started;
    const width = Math.max(5, ...this.timings.map((t) => t.label.length));
    const lines = this.timings.map((t) => `  ${t.label.padEnd(width)}  ${seconds(t.ms)}`);
    return `timings:\n${lines.join('\n')}\n  ${'total'.padEnd(width)}  ${seconds(total)}\n`;
  }

  printSummary(): void {
    if (!this.quiet) this.io.err(this.summary());
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2).padStart(7)} s`;
}
