/**
 * GPU time per kernel from timestamp queries: while a Runtime profiles, each dispatch of
 * `run` goes into its own compute pass with timestamps at its start and end, and the times are
 * read back after the pass and summed per kernel. One pass per dispatch adds a synchronisation
 * between kernels, so profiled runs are slower than plain ones; the split between kernels is
 * what it is for (`pnpm bench --profile`).
 */
import { CamanimError } from '../errors.ts';

/** Total GPU time of one kernel (by its name) over the profiled runs. */
export interface KernelTime {
  readonly kernel: string;
  readonly dispatches: number;
  readonly ms: number;
}

/** WebGPU's limit on the queries of one query set: two per dispatch. */
const MAX_QUERIES = 4096;

export class KernelProfiler {
  private readonly totals = new Map<string, { dispatches: number; ms: number }>();

  constructor(private readonly gpu: GPUDevice) {
    if (!gpu.features.has('timestamp-query'))
      throw new CamanimError(
        'bad-input',
        'This GPU adapter has no timestamp queries, so kernels cannot be timed',
        {},
        'Profile on an adapter with the timestamp-query feature (SwiftShader and most GPUs have it)',
      );
  }

  /**
   * Records `count` dispatches, each in its own pass with timestamps (`record(pass, k)` sets
   * dispatch k up and dispatches it), and submits them; the returned promise resolves once
   * their times are added to the totals, by the names `kernelOf(k)`.
   */
  async record(
    count: number,
    kernelOf: (k: number) => string,
    record: (pass: GPUComputePassEncoder, k: number) => void,
    label: string,
  ): Promise<void> {
    const perSet = MAX_QUERIES / 2;
    for (let from = 0; from < count; from += perSet) {
      const n = Math.min(perSet, count - from);
      const querySet = this.gpu.createQuerySet({ type: 'timestamp', count: 2 * n, label: `${label}:timestamps` });
      const resolved = this.gpu.createBuffer({ size: 16 * n, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
      const staging = this.gpu.createBuffer({ size: 16 * n, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      try {
        const encoder = this.gpu.createCommandEncoder({ label });
        for (let j = 0; j < n; j++) {
          const pass = encoder.beginComputePass({
            label,
            timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * j, endOfPassWriteIndex: 2 * j + 1 },
          });
          record(pass, from + j);
          pass.end();
        }
        encoder.resolveQuerySet(querySet, 0, 2 * n, resolved, 0);
        encoder.copyBufferToBuffer(resolved, 0, staging, 0, 16 * n);
        this.gpu.queue.submit([encoder.finish()]);
        await staging.mapAsync(GPUMapMode.READ);
        const ns = new BigUint64Array(staging.getMappedRange().slice(0));
        staging.unmap();
        for (let j = 0; j < n; j++) {
          const name = kernelOf(from + j);
          const t = this.totals.get(name) ?? { dispatches: 0, ms: 0 };
          // A timestamp pair the implementation could not order (it may reset) counts as 0.
          t.ms += ns[2 * j + 1] > ns[2 * j] ? Number(ns[2 * j + 1] - ns[2 * j]) / 1e6 : 0;
          t.dispatches++;
          this.totals.set(name, t);
        }
      } finally {
        querySet.destroy();
        resolved.destroy();
        staging.destroy();
      }
    }
  }

  /** Every kernel timed so far, the most GPU time first. */
  times(): KernelTime[] {
    return [...this.totals]
      .map(([kernel, t]) => ({ kernel, dispatches: t.dispatches, ms: t.ms }))
      .sort((a, b) => b.ms - a.ms || a.kernel.localeCompare(b.kernel));
  }
}
