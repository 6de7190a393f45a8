/**
 * GPU buffers recycled by exact (256-byte rounded) size. The pool counts live and pooled
 * buffers and bytes, so tests can check that disposing a run returns it to its baseline.
 *
 * WebGPU reports an out-of-memory at createBuffer asynchronously (an invalid buffer, and an
 * error in the enclosing error scope), so each new buffer is created in its own
 * 'out-of-memory' scope and `checkAllocations(step)` (awaited by the runtime before it records
 * a pass or reads back) turns a failure into an error naming the tensor and the step.
 */
import { CamanimError } from '../errors.ts';

export interface PoolStats {
  live: number;
  liveBytes: number;
  pooled: number;
  pooledBytes: number;
}

const USAGE = 0x0080 /* STORAGE */ | 0x0004 /* COPY_SRC */ | 0x0008; /* COPY_DST */

interface FailedAllocation {
  label: string;
  size: number;
  message: string;
}

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private readonly sizes = new Map<GPUBuffer, number>();
  private pooledCount = 0;
  private pooledBytes = 0;
  private liveBytes = 0;
  private pending: Promise<FailedAllocation | undefined>[] = [];

  /**
   * With `poison`, new buffers start filled with NaN instead of WebGPU's zeros, so a kernel
   * that fails to write an element it owns shows up in tests.
   */
  constructor(
    private readonly device: GPUDevice,
    private readonly maxBufferSize: number,
    private readonly poison = false,
  ) {}

  acquire(bytes: number, label = ''): GPUBuffer {
    const size = Math.max(256, Math.ceil(bytes / 256) * 256);
    if (size > this.maxBufferSize) {
      throw new CamanimError(
        'resource-limit',
        `A buffer of ${size} bytes is larger than this device allows (${this.maxBufferSize})`,
        { tensor: label },
        'Use a smaller batch or input size',
      );
    }
    const list = this.free.get(size);
    let buf = list?.pop();
    if (buf) {
      this.pooledCount--;
      this.pooledBytes -= size;
    } else {
      this.device.pushErrorScope('out-of-memory');
      buf = this.device.createBuffer({ size, usage: USAGE, label });
      // Dawn's message goes on with the call and its own source location: the first line says it.
      this.pending.push(
        this.device
          .popErrorScope()
          .then((err) => (err ? { label, size, message: err.message.split('\n')[0].trim() } : undefined)),
      );
      // Recycled buffers keep stale contents, garbage enough for the same purpose.
      if (this.poison) this.device.queue.writeBuffer(buf, 0, new Float32Array(size / 4).fill(NaN));
    }
    this.sizes.set(buf, size);
    this.liveBytes += size;
    return buf;
  }

  /** Throws if a buffer created since the last check could not be allocated. */
  async checkAllocations(step: string): Promise<void> {
    const failed = (await Promise.all(this.pending.splice(0))).find((f) => f !== undefined);
    if (failed) {
      throw new CamanimError(
        'resource-limit',
        `Out of GPU memory creating a buffer of ${failed.size} bytes (${failed.message})`,
        { tensor: failed.label, kernel: step },
        'Use a smaller batch or input, fewer layers at once, or a GPU with more memory',
      );
    }
  }

  release(buf: GPUBuffer): void {
    const size = this.sizes.get(buf);
    if (size === undefined) return;
    this.sizes.delete(buf);
    this.liveBytes -= size;
    let list = this.free.get(size);
    if (!list) {
      list = [];
      this.free.set(size, list);
    }
    list.push(buf);
    this.pooledCount++;
    this.pooledBytes += size;
  }

  /** Destroys pooled (unused) buffers. */
  trim(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.pooledCount = 0;
    this.pooledBytes = 0;
  }

  stats(): PoolStats {
    return { live: this.sizes.size, liveBytes: this.liveBytes, pooled: this.pooledCount, pooledBytes: this.pooledBytes };
  }
}
