/** Fill a buffer with one value (zero gradients, padding). */
import { elementKernel, f32Lit, type KernelSpec } from './kernel.ts';

export function fillKernel(elements: number, value: number): KernelSpec {
  return elementKernel({
    name: `fill[${value}]`,
    inputs: [],
    outputs: [{ name: 'out' }],
    total: elements,
    body: `  out[i] = ${f32Lit(value)};`,
  });
}
