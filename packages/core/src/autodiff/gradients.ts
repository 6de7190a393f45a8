/**
 * Executes a backward plan on a forward Run and holds the resulting gradients on the GPU by
 * ONNX tensor name. Transient slots go back to the pool after their last reader, inside the
 * same pass; all steps are recorded into one pass, with no CPU round trips.
 */
import { CamanimError } from '../errors.ts';
import type { ConstCache } from '../runtime/const-cache.ts';
import { bufferOf } from '../runtime/execute.ts';
import type { Dispatch, Runtime } from '../runtime/runtime.ts';
import type { GpuTensor, TensorData } from '../runtime/tensor.ts';
import type { BackwardPlan } from './backward-plan.ts';

/** What a backward pass reads of the forward run it differentiates (run.ts's Run has it). */
export interface ForwardRun {
  readonly model: { readonly source: string; readonly runtime: Runtime; readonly consts: ConstCache };
  tensor(name: string): GpuTensor;
  shape(name: string): readonly number[];
}

export class Gradients {
  private disposed = false;

  private constructor(
    readonly run: ForwardRun,
    private readonly tensors: Map<string, GpuTensor>,
    private readonly owned: GPUBuffer[],
    /** The target's value for each batch item. */
    readonly scores: readonly number[],
  ) {}

  static async execute(run: ForwardRun, plan: BackwardPlan, seed: Float32Array, scores: number[]): Promise<Gradients> {
    const rt = run.model.runtime;
    const slots = new Map<number, GPUBuffer>();
    const last = new Map<number, number>();
    plan.steps.forEach((s, k) => s.buffers.forEach((b) => b.kind === 'grad' && last.set(b.slot, k)));
    const acquire = (slot: number) => {
      let b = slots.get(slot);
      if (!b) {
        b = rt.pool.acquire(plan.slots[slot] * 4, `grad${slot}`);
        slots.set(slot, b);
      }
      return b;
    };
    const released = new Set<number>();
    const scratch = new Map<number, GpuTensor>();
    const lookup = (name: string) => run.tensor(name);
    const dispatches: Dispatch[] = [];
    try {
      slots.set(plan.seedSlot, rt.upload(seed, [seed.length], 'grad:seed').buffer);
      plan.steps.forEach((step, k) => {
        if (k > 0 && plan.steps[k - 1].group !== step.group) {
          for (const t of scratch.values()) rt.release(t);
          scratch.clear();
        }
        const buffers = step.buffers.map((b) =>
          b.kind === 'grad' ? acquire(b.slot) : bufferOf(b, lookup, run.model.consts, scratch, rt),
        );
        dispatches.push({ kernel: step.kernel, buffers });
        for (const b of step.buffers) {
          // The seed came from the upload pool: it may only go back after the submit.
          if (
            b.kind === 'grad' &&
            b.slot !== plan.seedSlot &&
            last.get(b.slot) === k &&
            plan.transient.has(b.slot) &&
            !released.has(b.slot)
          ) {
            released.add(b.slot);
            rt.releaseBuffer(slots.get(b.slot)!);
          }
        }
      });
      for (const t of scratch.values()) rt.release(t);
      await rt.run(dispatches, 'backward');
    } catch (e) {
      for (const [slot, b] of slots) if (!released.has(slot)) rt.releaseBuffer(b);
      throw e;
    }
    const tensors = new Map<string, GpuTensor>();
    for (const [name, slot] of plan.result) tensors.set(name, { buffer: slots.get(slot)!, shape: run.shape(name) });
    const owned: GPUBuffer[] = [];
    for (const [slot, b] of slots) {
      if (released.has(slot)) continue;
      if (plan.transient.has(slot)) rt.releaseBuffer(b);
      else owned.push(b);
    }
    return new Gradients(run, tensors, owned, scores);
  }

  /** Names of the tensors that have a gradient here. */
  names(): string[] {
    return [...this.tensors.keys()];
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  tensor(name: string): GpuTensor {
    if (this.disposed) throw new CamanimError('disposed', 'These gradients were disposed', { tensor: name });
    const t = this.tensors.get(name);
    if (!t)
      throw new CamanimError(
        'not-found',
        `No gradient for tensor '${name}'`,
        { file: this.run.model.source, tensor: name },
        'Ask backward() for this layer, or check the name with model.layers',
      );
    return t;
  }

  async read(name: string): Promise<TensorData> {
    return this.run.model.runtime.read(this.tensor(name), `grad:${name}`);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const b of this.owned) this.run.model.runtime.releaseBuffer(b);
    this.tensors.clear();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
