/**
 * The runtime: one device, its buffer pool and pipeline cache, and the few primitives
 * everything else uses: upload, read back, and dispatch a list of kernels in one pass.
 */
import { CPU_TILES, GPU_TILES, withUnroll, type KernelSpec, type TileProfile } from '@camanim/shaders';
import { CamanimError } from '../errors.ts';
import { BufferPool, type PoolStats } from './buffer-pool.ts';
import { calmly } from './dawn-wait.ts';
import type { Device } from './device.ts';
import { KernelProfiler, type KernelTime } from './profiler.ts';
import type { GpuTensor, TensorData } from './tensor.ts';

export interface Dispatch {
  readonly kernel: KernelSpec;
  /** Buffers in binding order (inputs, then outputs). */
  readonly buffers: readonly GPUBuffer[];
  /**
   * Where each binding starts in its buffer, in bytes (0 where absent): multiples of
   * `Runtime.bindingAlignment`. Kernels that read or write a slice of a shared buffer take it
   * here rather than baking the offset into their code, so one pipeline serves every slice.
   */
  readonly offsets?: readonly number[];
}

export interface RuntimeOptions {
  /** The tile profile (default: CAMANIM_KERNEL_PROFILE=cpu|gpu, else the adapter's kind). */
  readonly tiles?: TileProfile | TileProfile['name'];
  /**
   * What the kernels' unrolled code is sized for (else CAMANIM_UNROLL=startup|throughput, else
   * throughput): 'startup' for a process that runs its model a few times (`camanim
   * explain`), where compiling the pipelines is most of the time on a CPU adapter; the outputs
   * are the same bit for bit. A given `tiles` object keeps its own.
   */
  readonly unroll?: 'startup' | 'throughput';
  /**
   * Run Relu and same-shape Add chains after a convolution inside its kernel (plan/fuse.ts;
   * default true, CAMANIM_FUSE=0 turns it off): fewer dispatches, the same tensors written, the
   * same values bit for bit.
   */
  readonly fuse?: boolean;
}

export class Runtime {
  /** Buffers kernels write; recycled while a pass is being recorded. */
  readonly pool: BufferPool;
  /**
   * Buffers the host writes (inputs, constants). Kept apart because a host write is queued
   * ahead of the pass being recorded: it must never land in a buffer that pass still uses,
   * and these are only released when their owner is disposed, never mid-recording.
   */
  readonly uploads: BufferPool;
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();
  private compileWaitMs = 0;
  private profiler?: KernelProfiler;

  /** The register-tile profile every plan on this runtime builds its kernels for. */
  readonly tiles: TileProfile;
  /** Whether plans on this runtime fuse element-wise chains into convolutions (RuntimeOptions.fuse). */
  readonly fuse: boolean;

  constructor(
    readonly device: Device,
    opts: RuntimeOptions = {},
  ) {
    this.tiles = tilesFor(device, opts);
    this.fuse = opts.fuse ?? (typeof process === 'undefined' || process.env?.CAMANIM_FUSE !== '0');
    const poison = typeof process !== 'undefined' && process.env?.CAMANIM_POISON_BUFFERS === '1';
    this.pool = new BufferPool(device.gpu, device.limits.maxBufferSize, poison);
    this.uploads = new BufferPool(device.gpu, device.limits.maxBufferSize, poison);
  }

  get gpu(): GPUDevice {
    return this.device.gpu;
  }

  /** Compiles (once per distinct WGSL text) and caches a pipeline. */
  pipeline(kernel: KernelSpec): Promise<GPUComputePipeline> {
    let p = this.pipelines.get(kernel.wgsl);
    if (!p) {
      const module = this.gpu.createShaderModule({ code: kernel.wgsl, label: kernel.name });
      p = this.gpu
        .createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: kernel.name })
        .catch(async (cause) => {
          this.pipelines.delete(kernel.wgsl);
          const info = await module.getCompilationInfo().catch(() => undefined);
          const first = info?.messages.find((m) => m.type === 'error');
          const detail = first ? `line ${first.lineNum}: ${first.message}` : (cause as Error).message;
          throw new CamanimError(
            'gpu',
            `Kernel failed to compile: ${detail}`,
            { kernel: kernel.name },
            'This is a camanim bug; please report it with the model',
            { cause },
          );
        });
      this.pipelines.set(kernel.wgsl, p);
    }
    return p;
  }

  /**
   * Times every dispatch of `run` from now on, each in its own pass (profiler.ts: slower runs,
   * the split between kernels), until `stopProfile` returns the GPU time per kernel. Refused on
   * an adapter without timestamp queries.
   */
  startProfile(): void {
    this.profiler = new KernelProfiler(this.gpu);
  }

  /** The kernels timed since `startProfile`, the most GPU time first; profiling stops. */
  stopProfile(): KernelTime[] {
    const times = this.profiler?.times() ?? [];
    this.profiler = undefined;
    return times;
  }

  /** The byte multiple a binding's offset must be (Dispatch.offsets): the device's minStorageBufferOffsetAlignment. */
  get bindingAlignment(): number {
    return this.device.limits.minStorageBufferOffsetAlignment;
  }

  get pipelineCount(): number {
    return this.pipelines.size;
  }

  /** Milliseconds `run` has waited for pipelines to compile (on SwiftShader, most of a cold start). */
  get compileWait(): number {
    return this.compileWaitMs;
  }

  createTensor(shape: readonly number[], label = ''): GpuTensor {
    const elements = shape.reduce((a, b) => a * b, 1);
    return { buffer: this.pool.acquire(elements * 4, label), shape: [...shape] };
  }

  /** A tensor holding `data`, from the upload pool (see `uploads`). */
  upload(data: Float32Array, shape: readonly number[], label = ''): GpuTensor {
    const elements = shape.reduce((a, b) => a * b, 1);
    const t = { buffer: this.uploads.acquire(elements * 4, label), shape: [...shape] };
    this.writeBuffer(t.buffer, data);
    return t;
  }

  writeBuffer(buffer: GPUBuffer, data: Float32Array, offsetBytes = 0): void {
    this.checkAlive('upload');
    if (data.byteLength) this.gpu.queue.writeBuffer(buffer, offsetBytes, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Returns a tensor's buffer to whichever pool it came from. */
  release(t: GpuTensor): void {
    this.releaseBuffer(t.buffer);
  }

  releaseBuffer(b: GPUBuffer): void {
    this.pool.release(b);
    this.uploads.release(b);
  }

  /** Both pools together: what the leak test and the memory budget look at. */
  stats(): PoolStats {
    const a = this.pool.stats();
    const b = this.uploads.stats();
    return {
      live: a.live + b.live,
      liveBytes: a.liveBytes + b.liveBytes,
      pooled: a.pooled + b.pooled,
      pooledBytes: a.pooledBytes + b.pooledBytes,
    };
  }

  /** Records every dispatch into one compute pass and submits it; no CPU round trips between kernels. */
  async run(dispatches: readonly Dispatch[], label = 'run'): Promise<void> {
    this.checkAlive(label);
    this.checkOffsets(dispatches);
    const waitFrom = performance.now();
    const pipelines = await this.wait(Promise.all(dispatches.map((d) => this.pipeline(d.kernel))));
    this.compileWaitMs += performance.now() - waitFrom;
    await this.checkAllocations(label);
    this.gpu.pushErrorScope('validation');
    this.gpu.pushErrorScope('out-of-memory');
    const record = (pass: GPUComputePassEncoder, k: number) => {
      const [d, pipeline] = [dispatches[k], pipelines[k]];
      const bindGroup = this.gpu.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: d.buffers.map((buffer, binding) => ({ binding, resource: { buffer, offset: d.offsets?.[binding] ?? 0 } })),
      });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(...d.kernel.dispatch);
    };
    if (this.profiler) {
      await this.wait(this.profiler.record(dispatches.length, (k) => dispatches[k].kernel.name, record, label));
    } else {
      const encoder = this.gpu.createCommandEncoder({ label });
      const pass = encoder.beginComputePass({ label });
      dispatches.forEach((_, k) => record(pass, k));
      pass.end();
      this.gpu.queue.submit([encoder.finish()]);
    }
    const [oom, validation] = await this.wait(Promise.all([this.gpu.popErrorScope(), this.gpu.popErrorScope()]));
    const err = validation ?? oom;
    if (err) {
      const kernel = dispatches.find((d) => err.message.includes(d.kernel.name))?.kernel.name ?? label;
      throw new CamanimError(
        oom ? 'resource-limit' : 'gpu',
        `GPU ${oom ? 'out of memory' : 'validation error'}: ${err.message.split('\n')[0].trim()}`,
        { kernel },
        oom ? 'Use a smaller batch or input' : 'This is a camanim bug; please report it with the model',
      );
    }
  }

  /** Copies a tensor back to the host. */
  async read(t: GpuTensor, label = 'read'): Promise<TensorData> {
    this.checkAlive(label);
    await this.checkAllocations(label);
    const elements = t.shape.reduce((a, b) => a * b, 1);
    const bytes = Math.max(4, elements * 4);
    const staging = this.gpu.createBuffer({
      size: Math.ceil(bytes / 4) * 4,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    try {
      const encoder = this.gpu.createCommandEncoder();
      encoder.copyBufferToBuffer(t.buffer, 0, staging, 0, staging.size);
      this.gpu.queue.submit([encoder.finish()]);
      await this.wait(
        Promise.race([
          staging.mapAsync(GPUMapMode.READ),
          this.device.lost.then((r) => {
            throw new CamanimError(
              'gpu',
              `GPU device lost while reading results: ${r}`,
              { tensor: label },
              'Run again; if it repeats, use a smaller model, batch or input',
            );
          }),
        ]),
      );
      const data = new Float32Array(staging.getMappedRange().slice(0, elements * 4));
      staging.unmap();
      return { data, shape: [...t.shape] };
    } finally {
      staging.destroy();
    }
  }

  /** A binding offset the device cannot bind, named by kernel (Dawn's own message names neither). */
  private checkOffsets(dispatches: readonly Dispatch[]): void {
    const align = this.bindingAlignment;
    for (const d of dispatches) {
      const k = d.offsets?.findIndex((o, b) => o % align !== 0 || o < 0 || o >= d.buffers[b].size) ?? -1;
      if (k >= 0)
        throw new CamanimError(
          'gpu',
          `Binding ${k} of kernel '${d.kernel.name}' starts at byte ${d.offsets![k]}, not a multiple of ${align} inside its ${d.buffers[k].size}-byte buffer`,
          { kernel: d.kernel.name },
          'This is a camanim bug; please report it with the model',
        );
    }
  }

  /** Out-of-memory at buffer creation, from either pool, named by tensor and step. */
  private async checkAllocations(step: string): Promise<void> {
    await this.wait(Promise.all([this.pool.checkAllocations(step), this.uploads.checkAllocations(step)]));
  }

  /**
   * Awaits a promise that settles when Dawn answers. On a software adapter in Node, without
   * spinning the main thread (dawn-wait.ts): there the spin takes cores from the work itself.
   */
  wait<T>(p: Promise<T>): Promise<T> {
    return this.device.onCpu ? calmly(p) : p;
  }

  private checkAlive(step: string): void {
    if (this.device.isLost()) {
      throw new CamanimError('gpu', 'The GPU device was lost', { kernel: step }, 'Acquire a new device and load the model again');
    }
  }
}

/**
 * The kernels' register-tile profile: the one asked for, else CAMANIM_KERNEL_PROFILE=cpu|gpu,
 * else the adapter's kind (SwiftShader: cpu); with its unroll budget (RuntimeOptions.unroll).
 */
function tilesFor(device: Device, opts: RuntimeOptions): TileProfile {
  const asked = opts.tiles;
  if (typeof asked === 'object') return asked;
  const env = typeof process !== 'undefined' ? process.env : undefined;
  const forced = env?.CAMANIM_KERNEL_PROFILE;
  const name = asked ?? (forced === 'cpu' || forced === 'gpu' ? forced : undefined) ?? (device.onCpu ? 'cpu' : 'gpu');
  const wanted = env?.CAMANIM_UNROLL;
  const unroll = opts.unroll ?? (wanted === 'startup' || wanted === 'throughput' ? wanted : 'throughput');
  return withUnroll(name === 'cpu' ? CPU_TILES : GPU_TILES, unroll);
}
