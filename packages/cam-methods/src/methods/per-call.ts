/**
 * Work a custom method shares across the layers of one computeCams call (FullGrad's one backward,
 * ShapleyCAM's one backward per Hessian term): computed at the call's first layer, then reused,
 * keyed by the run and the call's `ctx.layers` array (the same object for all its layers).
 */
import type { Run } from '@camanim/core';
import type { CamContext } from '../method.ts';

export function perCall<T>(work: (ctx: CamContext) => Promise<T>): (ctx: CamContext) => Promise<T> {
  const cache = new WeakMap<Run, { key: object; value: Promise<T> }>();
  return (ctx) => {
    const hit = cache.get(ctx.run);
    if (hit?.key === ctx.layers) return hit.value;
    const value = work(ctx);
    cache.set(ctx.run, { key: ctx.layers, value });
    value.catch(() => cache.delete(ctx.run));
    return value;
  };
}
