/**
 * Order statistics along one axis of a tensor viewed as [outer, n, inner]: ArgMax/ArgMin and
 * TopK. NaN comes first or last of every number (`nanFirst`; the ops say which), ties by index,
 * so ranks are a permutation of 0..n-1 and every output is written exactly once. Indices are
 * written as f32 (exact below 2^24: the ops check the axis).
 */
import { elementKernel, type KernelSpec } from './kernel.ts';

export type Axis3 = readonly [outer: number, n: number, inner: number];

/**
 * `above(w, v)`: w comes before v, the largest (or, `largest` false, the smallest) first. NaN is
 * tested on its bits: WGSL lets a compiler assume no NaN, so `w != w` may fold to false.
 */
function order(largest: boolean, nanFirst: boolean): string {
  const [a, b] = nanFirst ? ['w', 'v'] : ['v', 'w'];
  return `fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn above(w: f32, v: f32) -> bool { return ${largest ? 'w > v' : 'w < v'} || (is_nan(${a}) && !is_nan(${b})); }`;
}

/** Y[o, q] = the index along the axis of the first (or `last`) extreme of X[o, :, q]; NaN is the extreme. */
export function argExtremeKernel([outer, n, inner]: Axis3, largest: boolean, last: boolean): KernelSpec {
  // The last of ties: a later element wins unless the best so far is above it.
  const wins = last ? '!above(best, w)' : 'above(w, best)';
  return elementKernel({
    name: `arg${largest ? 'max' : 'min'}${last ? '_last' : ''}[${outer}x${n}x${inner}]`,
    inputs: [{ name: 'X' }],
    outputs: [{ name: 'Y' }],
    total: outer * inner,
    header: order(largest, true),
    body: `  let base = (i / ${inner}u) * ${n * inner}u + i % ${inner}u;
  var best = X[base];
  var at = 0u;
  for (var b = 1u; b < ${n}u; b++) { let w = X[base + b * ${inner}u]; if (${wins}) { best = w; at = b; } }
  Y[i] = f32(at);`,
  });
}

/**
 * For each element of X: its rank along the axis (how many come before it, ties by index; NaN
 * above every number, as torch.topk orders it) as `rank`, counted up to k only (an element
 * past the top k stops there: about n·k·ln(n/k) comparisons a row on shuffled data, n² at
 * worst), with `v`, `a` (its position), `o`, `q` (outer and inner coordinates) in scope, then
 * `tail`.
 */
function rankKernel(
  name: string,
  [outer, n, inner]: Axis3,
  k: number,
  largest: boolean,
  outputs: readonly string[],
  inputs: readonly string[],
  tail: string,
): KernelSpec {
  return elementKernel({
    name,
    inputs: inputs.map((x) => ({ name: x })),
    outputs: outputs.map((x) => ({ name: x })),
    total: outer * n * inner,
    header: order(largest, largest),
    body: `  let o = i / ${n * inner}u;
  let a = (i / ${inner}u) % ${n}u;
  let q = i % ${inner}u;
  let base = o * ${n * inner}u + q;
  let v = X[i];
  var rank = 0u;
  for (var b = 0u; b < ${n}u; b++) { let w = X[base + b * ${inner}u]; if (above(w, v) || (b < a && !above(v, w))) { rank++; if (rank == ${k}u) { break; } } }
${tail}`,
  });
}

const slot = (k: number, inner: number) => `(o * ${k * inner}u + rank * ${inner}u + q)`;

/** V, I [outer, k, inner]: the k largest (smallest) of each row in order, and their indices. */
export function topkKernel(view: Axis3, k: number, largest: boolean): KernelSpec {
  const tail = `  if (rank < ${k}u) { V[${slot(k, view[2])}] = v; I[${slot(k, view[2])}] = f32(a); }`;
  return rankKernel(`topk${largest ? '' : '_smallest'}[${view.join('x')} k${k}]`, view, k, largest, ['V', 'I'], ['X'], tail);
}

/** DX: the values' gradient G [outer, k, inner] at each selected element, 0 elsewhere. */
export function topkGradKernel(view: Axis3, k: number, largest: boolean): KernelSpec {
  const tail = `  DX[i] = select(0.0, G[min(${slot(k, view[2])}, ${view[0] * k * view[2] - 1}u)], rank < ${k}u);`;
  return rankKernel(
    `topk_grad${largest ? '' : '_smallest'}[${view.join('x')} k${k}]`,
    view,
    k,
    largest,
    ['DX'],
    ['X', 'G'],
    tail,
  );
}
