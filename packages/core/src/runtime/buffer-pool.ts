/**
 * GPU buffers recycled by exact (256-byte rounded) size. The pool counts live and pooled
 * buffers and bytes, so tests can check that disposing a run returns it to its baseline.
 */
import { CamanimError } from '../errors.ts';

export interface PoolStats {
  live: number;
  liveBytes: number;
  pooled: number;
  pooledBytes: number;
}

const USAGE = 0x0080 /* STORAGE */ | 0x0004 /* COPY_SRC */ | 0x0008; /* COPY_DST */

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private readonly sizes = new Map<GPUBuffer, number>();
  private pooledCount = 0;
  private pooledBytes = 0;
  private liveBytes = 0;

  /**
   * With `poison`, new buffers start filled with NaN instead of WebGPU's zeros, so a kernel
   * that fails to write an element it owns shows up in tests.
   */
  constructor(private readonly device: GPUDevice, private readonly maxBufferSize: number, private readonly poison = false) {}

  acquire(bytes: number, label = ''): GPUBuffer {
    const size = Math.max(256, Math.ceil(bytes / 256) * 256);
    if (size > this.maxBufferSize) {
      throw new CamanimError('resource-limit', `A buffer of ${size} bytes is larger than this device allows (${this.maxBufferSize})`, { tensor: label }, 'Use a smaller batch or input size');
    }
    const list = this.free.get(size);
    let buf = list?.pop();
    if (buf) {
      this.pooledCount--;
      this.pooledBytes -= size;
    } else {
      buf = this.device.createBuffer({ size, usage: USAGE, label });
      // Recycled buffers keep stale contents, garbage enough for the same purpose.
      if (this.poison) this.device.queue.writeBuffer(buf, 0, new Float32Array(size / 4).fill(NaN));
    }
    this.sizes.set(buf, size);
    this.liveBytes += size;
    return buf;
  }

  release(buf: GPUBuffer): void {
    const size = this.sizes.get(buf);
    if (size === undefined) return;
    this.sizes.delete(buf);
    this.liveBytes -= size;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
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
