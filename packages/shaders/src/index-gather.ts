/**
 * Gathers through a precomputed source index per output element (GatherElements, GatherND with
 * indices known at plan time), and their VJP as a scatter-add written as a gather: each input
 * element sums the gradients of the outputs that read it, listed CSR-style (offsets, then output
 * indices), so no two invocations write one element and no atomics are needed. Index tables
 * are f32 (exact below 2^24).
 */
import { elementKernel, type KernelSpec } from './kernel.ts';

/** Y[i] = X[IDX[i]] for `total` outputs. */
export function indexGatherKernel(name: string, total: number): KernelSpec {
  return elementKernel({
    name,
    inputs: [{ name: 'X' }, { name: 'IDX' }],
    outputs: [{ name: 'Y' }],
    total,
    body: '  Y[i] = X[u32(IDX[i])];',
  });
}

/** DX[j] = Σ G[LIST[k]] over k in [OFF[j], OFF[j + 1]) for `total` input elements. */
export function indexScatterAddKernel(name: string, total: number): KernelSpec {
  return elementKernel({
    name,
    inputs: [{ name: 'G' }, { name: 'OFF' }, { name: 'LIST' }],
    outputs: [{ name: 'DX' }],
    total,
    body: `  var acc = 0.0;
  for (var k = u32(OFF[i]); k < u32(OFF[i + 1u]); k++) { acc += G[u32(LIST[k])]; }
  DX[i] = acc;`,
  });
}
