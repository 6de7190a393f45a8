/**
 * Token layers as maps: a vision transformer's tokens [N, T, D] → [N, D, h, w], the first
 * `prefix` tokens (class, distillation) dropped and the patch tokens read in raster order, as
 * pytorch-grad-cam's documented reshape_transform does
 * (`tensor[:, 1:, :].reshape(B, h, w, D)` then channels first). A channels-last map
 * [N, h, w, D] is the same memory as tokens with prefix 0.
 */
import type { KernelSpec } from './kernel.ts';
import { indexMapKernel, linearIndex } from './index-map.ts';

export function tokenGridKernel(n: number, tokens: number, d: number, prefix: number, h: number, w: number): KernelSpec {
  const src = linearIndex(['c0', `${prefix}u + c2 * ${w}u + c3`, 'c1'], [n, tokens, d]);
  return indexMapKernel(`token_grid[${n}x${tokens}x${d} -${prefix} ${h}x${w}]`, [n, d, h, w], `  let src = ${src};`);
}
