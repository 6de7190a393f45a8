/** One runtime per test file. */
import { acquireDevice, Runtime } from '@camanim/core';

let runtime: Runtime | undefined;

export async function testRuntime(): Promise<Runtime> {
  runtime ??= new Runtime(await acquireDevice());
  return runtime;
}

/** Seeded uniform values in [lo, hi). */
export function seeded(n: number, seed: number, lo = 0, hi = 1): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return lo + (s / 4294967296) * (hi - lo);
  });
}
