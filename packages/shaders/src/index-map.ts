/**
 * Data-movement kernels: every output element reads one input element chosen by an index
 * expression (transpose, slice, pad, broadcast/tile, concat pieces, resize-nearest), or a
 * constant where the expression says it is out of range.
 */
import { broadcastIndex, stridesOf, sizeOf } from './strides.ts';
import { elementKernel, f32Lit, type KernelSpec } from './kernel.ts';

/** WGSL statements that split linear index `i` into coordinates `c0..c{n-1}` of `shape`. */
export function coordsOf(shape: readonly number[], idx = 'i', prefix = 'c'): string {
  const strides = stridesOf(shape);
  return shape
    .map((d, k) => {
      const q = strides[k] === 1 ? idx : `(${idx} / ${strides[k]}u)`;
      return `  let ${prefix}${k} = ${k === 0 ? q : `${q} % ${d}u`};`;
    })
    .join('\n');
}

/**
 * Output element `i` (coords `c0..`) reads `X[src]`, where `prelude` defines `src: u32` and
 * optionally `inside: bool`; when `inside` is false the output is `fill`.
 */
export function indexMapKernel(
  name: string,
  outShape: readonly number[],
  prelude: string,
  opts: { guarded?: boolean; fill?: number; offset?: number } = {},
): KernelSpec {
  const store = opts.guarded
    ? `  if (inside) { Y[i + ${opts.offset ?? 0}u] = X[src]; } else { Y[i + ${opts.offset ?? 0}u] = ${f32Lit(opts.fill ?? 0)}; }`
    : `  Y[i + ${opts.offset ?? 0}u] = X[src];`;
  return elementKernel({
    name,
    inputs: [{ name: 'X' }],
    outputs: [{ name: 'Y' }],
    total: sizeOf(outShape),
    body: `${coordsOf(outShape)}\n${prelude}\n${store}`,
  });
}

/** Linear-index expression from coordinate names and a shape's strides. */
export function linearIndex(coords: readonly string[], shape: readonly number[]): string {
  const strides = stridesOf(shape);
  const terms = coords.map((c, k) => (strides[k] === 1 ? `(${c})` : `(${c}) * ${strides[k]}u`));
  return terms.length ? terms.join(' + ') : '0u';
}

/** Copies `X` (shape `inShape`) into a slab of a larger output along `axis` at `start`. */
export function copyIntoKernel(outShape: readonly number[], inShape: readonly number[], axis: number, start: number): KernelSpec {
  const coords = inShape.map((_, k) => (k === axis ? `c${k} + ${start}u` : `c${k}`));
  return elementKernel({
    name: `copy_into[axis ${axis} @${start}]`,
    inputs: [{ name: 'X' }],
    outputs: [{ name: 'Y' }],
    total: sizeOf(inShape),
    body: `${coordsOf(inShape)}\n  Y[${linearIndex(coords, outShape)}] = X[i];`,
  });
}

/**
 * Copies `X` broadcast (numpy rules) to `outShape`, e.g. to tile a batch-1 tensor to batch N;
 * `inOffset` selects where in X the broadcast tensor starts (one item of a batch).
 */
export function broadcastToKernel(outShape: readonly number[], inShape: readonly number[], inOffset = 0): KernelSpec {
  return elementKernel({
    name: `broadcast[${inShape.join('x')}→${outShape.join('x')}]`,
    inputs: [{ name: 'X' }],
    outputs: [{ name: 'Y' }],
    total: sizeOf(outShape),
    body: `  Y[i] = X[${inOffset}u + ${broadcastIndex('i', outShape, inShape)}];`,
  });
}
