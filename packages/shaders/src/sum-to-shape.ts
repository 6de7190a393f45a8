/** The gradient of a broadcast: a tensor summed over its broadcast dims down to the shape it was broadcast from. */
import { coordsOf, linearIndex } from './index-map.ts';
import { elementKernel, type KernelSpec } from './kernel.ts';
import { sizeOf } from './strides.ts';

/**
 * Sums `from` (a broadcast of `to`, numpy rules) over its broadcast dims down to `to`: the
 * gradient of a broadcast. One invocation per output element, looping over the summed dims.
 */
export function sumToShapeKernel(from: readonly number[], to: readonly number[]): KernelSpec {
  const rank = from.length;
  const padded = [...Array(rank - to.length).fill(1), ...to];
  const summed = from.map((d, k) => (padded[k] === 1 && d !== 1 ? k : -1)).filter((k) => k >= 0);
  const count = summed.reduce((a, k) => a * from[k], 1);
  const coords = from.map((_, k) => (summed.includes(k) ? `s${k}` : `c${k}`));
  const loops = summed.map((k, j) => {
    const inner = summed.slice(j + 1).reduce((a, q) => a * from[q], 1);
    return `    let s${k} = (r / ${inner}u) % ${from[k]}u;`;
  });
  return elementKernel({
    name: `sum_to[${from.join('x')}→${to.join('x')}]`,
    inputs: [{ name: 'src' }],
    outputs: [{ name: 'out' }],
    total: sizeOf(to),
    body: `${coordsOf(padded)}
  var acc = 0.0;
  for (var r = 0u; r < ${count}u; r++) {
${loops.join('\n')}
    acc += src[${linearIndex(coords, from)}];
  }
  out[i] = acc;`,
  });
}
