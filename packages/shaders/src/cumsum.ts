/**
 * CumSum along one axis: one invocation per row (the axis run for fixed outer and inner
 * coordinates) keeps a running sum in order, forwards or in reverse, storing it before the
 * add (exclusive) or after (inclusive). No barriers; the row is read once.
 */
import { elementKernel, type KernelSpec } from './kernel.ts';

/** X and Y viewed as [outer, n, inner], summed along n. */
export function cumsumKernel(outer: number, n: number, inner: number, exclusive: boolean, reverse: boolean): KernelSpec {
  const at = reverse ? `${n - 1}u - k` : 'k';
  const store = exclusive ? '    Y[off] = acc;\n    acc += X[off];' : '    acc += X[off];\n    Y[off] = acc;';
  return elementKernel({
    name: `cumsum[${outer}x${n}x${inner}${exclusive ? ' exclusive' : ''}${reverse ? ' reverse' : ''}]`,
    inputs: [{ name: 'X' }],
    outputs: [{ name: 'Y' }],
    total: outer * inner,
    body: `  let base = (i / ${inner}u) * ${n * inner}u + i % ${inner}u;
  var acc = 0.0;
  for (var k = 0u; k < ${n}u; k++) {
    let off = base + (${at}) * ${inner}u;
${store}
  }`,
  });
}
