/** Model-level GPU copies of constants: initializers, folded tensors and derived layouts. */
import type { HostTensor } from '../graph/ir.ts';
import type { Runtime } from './runtime.ts';
import type { GpuTensor } from './tensor.ts';

export class ConstCache {
  private readonly tensors = new Map<string, GpuTensor>();

  constructor(private readonly rt: Runtime) {}

  /** A float32 GPU copy of a host constant, uploaded on first use. */
  value(name: string, t: HostTensor): GpuTensor {
    const key = `value:${name}:${t.shape.join('x')}`;
    return this.get(key, () => (t.data instanceof Float32Array ? t.data : Float32Array.from(t.data)), t.shape);
  }

  data(key: string, data: Float32Array): GpuTensor {
    return this.get(`data:${key}`, () => data, [data.length]);
  }

  private get(key: string, data: () => Float32Array, shape: readonly number[]): GpuTensor {
    let t = this.tensors.get(key);
    if (!t) {
      t = this.rt.upload(data(), shape, key);
      this.tensors.set(key, t);
    }
    return t;
  }

  dispose(): void {
    for (const t of this.tensors.values()) this.rt.release(t);
    this.tensors.clear();
  }
}
