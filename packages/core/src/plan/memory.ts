/**
 * Memory checks made before anything is allocated: each tensor must fit one storage binding
 * (kernels index with u32 and bind whole buffers), and what a run keeps (activations, or a
 * backward's gradient slots) must fit the device's buffer limits and the user's budget.
 */
import { CamanimError } from '../errors.ts';
import type { Inferred } from '../graph/infer.ts';
import { elementCount } from '../graph/ir.ts';

export interface MemoryLimits {
  /** Largest buffer one binding may cover, in bytes (device.limits.maxStorageBufferBindingSize). */
  readonly maxBinding: number;
  /** Bytes a model may hold on the GPU at once (LoadOptions.memoryBudget). */
  readonly budget: number;
}

export const DEFAULT_MEMORY_BUDGET = 8 * 2 ** 30;

/** Bytes the forward pass allocates when it keeps every activation. */
export function forwardBytes(inferred: Inferred, source: string, limits: MemoryLimits): number {
  let total = 0;
  for (const n of inferred.nodes) {
    if (n.op.alias) continue;
    for (const name of n.node.outputs) {
      const info = name ? inferred.values.get(name) : undefined;
      if (!info) continue;
      const bytes = elementCount(info.shape) * 4;
      checkTensor(bytes, limits, { file: source, node: n.node.name, op: n.node.opType, tensor: name });
      total += bytes;
    }
  }
  return total;
}

export function checkTensor(bytes: number, limits: MemoryLimits, where: Record<string, string>): void {
  if (!(bytes <= limits.maxBinding)) {
    throw new CamanimError(
      'resource-limit',
      `Tensor needs ${formatBytes(bytes)}, more than one GPU buffer binding allows (${formatBytes(limits.maxBinding)})`,
      where,
      'Use a smaller input size or batch',
    );
  }
}

export function checkBudget(bytes: number, inUse: number, limits: MemoryLimits, what: string, source: string): void {
  if (bytes + inUse > limits.budget) {
    throw new CamanimError(
      'resource-limit',
      `${what} needs ${formatBytes(bytes)} of GPU memory (${formatBytes(inUse)} already in use), over the budget of ${formatBytes(limits.budget)}`,
      { file: source },
      'Use a smaller batch or input, keep fewer layers (retain / layers options), or raise memoryBudget',
    );
  }
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${n} bytes`;
}
