/**
 * Executes a plan: allocates each node's outputs from the pool, binds inputs (already in
 * `env`, or constants), records every kernel into one pass and submits once. Values the
 * caller does not retain go back to the pool after their last use, inside the same pass.
 */
import { CamanimError } from '../errors.ts';
import type { BufferRef, Plan } from '../plan/plan.ts';
import type { ConstCache } from './const-cache.ts';
import type { Dispatch, Runtime } from './runtime.ts';
import type { GpuTensor } from './tensor.ts';

export interface ExecuteResult {
  /** Every value computed by this plan that the caller retained, by tensor name. */
  readonly values: Map<string, GpuTensor>;
  /** Buffers this execution allocated and still holds (retained values). */
  readonly owned: GpuTensor[];
}

export async function executePlan(
  rt: Runtime,
  plan: Plan,
  env: ReadonlyMap<string, GpuTensor>,
  consts: ConstCache,
  retain: (name: string) => boolean,
  label: string,
): Promise<ExecuteResult> {
  const { inferred } = plan;
  const values = new Map<string, GpuTensor>();
  const owned = new Map<GPUBuffer, GpuTensor>();
  const dying = lastUses(plan);
  const dispatches: Dispatch[] = [];
  const lookup = (name: string): GpuTensor => {
    const t = values.get(name) ?? env.get(name);
    if (t) return t;
    const c = inferred.consts.get(name);
    if (c) return consts.value(name, c);
    throw new CamanimError('bad-model', `Tensor '${name}' is needed but was never computed`, { tensor: name });
  };
  try {
    plan.nodes.forEach((pn, index) => {
      const { node } = pn.node;
      if (pn.alias) {
        const src = lookup(node.inputs[0]);
        values.set(node.outputs[0], { buffer: src.buffer, shape: inferred.values.get(node.outputs[0])!.shape });
      } else {
        for (const out of node.outputs) {
          if (!out) continue;
          const t = rt.createTensor(inferred.values.get(out)!.shape, out);
          values.set(out, t);
          owned.set(t.buffer, t);
        }
        const scratch = new Map<number, GpuTensor>();
        for (const step of pn.steps) {
          dispatches.push({ kernel: step.kernel, buffers: step.buffers.map((b) => bufferOf(b, lookup, consts, scratch, rt)) });
        }
        for (const t of scratch.values()) rt.release(t);
      }
      // Buffers nobody retains return to the pool once their last reader is recorded.
      for (const group of dying.get(index) ?? []) {
        const t = values.get(group[0]);
        if (t && owned.has(t.buffer) && !group.some(retain)) {
          owned.delete(t.buffer);
          rt.pool.release(t.buffer);
        }
      }
    });
    await rt.run(dispatches, label);
  } catch (e) {
    for (const t of owned.values()) rt.pool.release(t.buffer);
    throw e;
  }
  for (const [name] of values) if (!retain(name) && !owned.has(values.get(name)!.buffer)) values.delete(name);
  return { values, owned: [...owned.values()] };
}

/**
 * The GPU buffer a step's argument names: a computed value or constant (`lookup`), constant
 * data the plan baked in, or a scratch buffer made on first use within the node (the caller
 * releases `scratch`). The backward executor uses it for everything but its gradient slots.
 */
export function bufferOf(
  b: BufferRef,
  lookup: (name: string) => GpuTensor,
  consts: ConstCache,
  scratch: Map<number, GpuTensor>,
  rt: Runtime,
): GPUBuffer {
  switch (b.kind) {
    case 'value':
      return lookup(b.name).buffer;
    case 'data':
      return consts.data(b.key, b.data).buffer;
    case 'scratch': {
      let t = scratch.get(b.id);
      if (!t) {
        t = rt.createTensor([b.elements], 'scratch');
        scratch.set(b.id, t);
      }
      return t.buffer;
    }
  }
}

/**
 * For each node index, the alias groups (names sharing one buffer) last read there: by the
 * node or by its steps (a fused kernel, plan/fuse.ts, reads its chain's first inputs later).
 */
function lastUses(plan: Plan): Map<number, string[][]> {
  const members = new Map<string, Set<string>>();
  const last = new Map<string, number>();
  plan.nodes.forEach((pn, index) => {
    const stepValues = pn.steps.flatMap((s) => s.buffers.flatMap((b) => (b.kind === 'value' ? [b.name] : [])));
    for (const name of [...pn.node.node.inputs, ...pn.node.node.outputs, ...stepValues]) {
      if (!name) continue;
      const root = plan.root.get(name) ?? name;
      if (!members.has(root)) members.set(root, new Set());
      members.get(root)!.add(name);
      last.set(root, index);
    }
  });
  const byIndex = new Map<number, string[][]>();
  for (const [root, index] of last) {
    const list = byIndex.get(index) ?? [];
    list.push([...members.get(root)!]);
    byIndex.set(index, list);
  }
  return byIndex;
}
