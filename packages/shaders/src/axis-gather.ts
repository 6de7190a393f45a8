/**
 * Separable gathers: each output coordinate picks its input coordinates axis by axis, and the
 * output element is the weighted sum over the product of the per-axis picks ("taps").
 * Slice, Split, Pad, Gather and Resize forwards are this kernel with different taps, and their
 * VJPs are the same kernel over the transposed taps (`transposeAxis`): a gather over the
 * output elements that touch each input element, so no atomics and every element written.
 *
 * Per axis, the builder picks the cheapest encoding: a copy (`c`), an affine map
 * (`start + c * step`), a lookup table of one source per coordinate (-1: outside → `fill`), or
 * a CSR list of (source, weight) taps. Tables travel in one f32 buffer `T` (indices are exact
 * in f32 below 2^24) bound after `X`.
 */
import { coordsOf, linearIndex } from './index-map.ts';
import { elementKernel, f32Lit, type KernelSpec } from './kernel.ts';
import { sizeOf } from './strides.ts';

export interface Tap {
  readonly src: number;
  readonly w: number;
}

/** How one output axis reads the input axis: an affine map or taps per output coordinate. */
export type AxisSpec =
  | { readonly kind: 'affine'; readonly start: number; readonly step: number }
  | { readonly kind: 'taps'; readonly taps: readonly (readonly Tap[])[] };

export const affineAxis = (start: number, step = 1): AxisSpec => ({ kind: 'affine', start, step });
export const tapsAxis = (taps: readonly (readonly Tap[])[]): AxisSpec => ({ kind: 'taps', taps });

type Encoded =
  | { kind: 'affine'; start: number; step: number }
  | { kind: 'map'; offset: number }
  | { kind: 'csr'; ptr: number; entries: number };

/** Taps of an axis spec, one list per output coordinate. */
function tapsOf(spec: AxisSpec, outSize: number): (readonly Tap[])[] {
  if (spec.kind === 'taps') return [...spec.taps];
  return Array.from({ length: outSize }, (_, o) => [{ src: spec.start + o * spec.step, w: 1 }]);
}

/**
 * The VJP of one axis: for each input coordinate, the output coordinates that read it and with
 * what weight (duplicates summed), so dX = Σ w·dY.
 */
export function transposeAxis(spec: AxisSpec, outSize: number, inSize: number): AxisSpec {
  const inv: Map<number, number>[] = Array.from({ length: inSize }, () => new Map());
  tapsOf(spec, outSize).forEach((list, o) => list.forEach(({ src, w }) => inv[src].set(o, (inv[src].get(o) ?? 0) + w)));
  return tapsAxis(inv.map((m) => [...m].map(([src, w]) => ({ src, w }))));
}

function encode(spec: AxisSpec, outSize: number, table: number[]): Encoded {
  if (spec.kind === 'affine') return spec;
  const taps = spec.taps;
  if (taps.every((l) => l.length === 1 && l[0].w === 1)) {
    const start = taps[0]?.[0].src ?? 0;
    const step = outSize > 1 ? taps[1][0].src - start : 1;
    if (taps.every((l, o) => l[0].src === start + o * step)) return { kind: 'affine', start, step };
  }
  if (taps.every((l) => l.length === 0 || (l.length === 1 && l[0].w === 1))) {
    const offset = table.length;
    taps.forEach((l) => table.push(l.length ? l[0].src : -1));
    return { kind: 'map', offset };
  }
  const ptr = table.length;
  let n = 0;
  for (const l of taps) {
    table.push(n);
    n += l.length;
  }
  table.push(n);
  const entries = table.length;
  taps.forEach((l) => l.forEach(({ src, w }) => table.push(src, w)));
  return { kind: 'csr', ptr, entries };
}

/**
 * `Y` (outShape) gathered from `X` (inShape) with one AxisSpec per axis; elements with no tap
 * on some axis are `fill`. Returns the kernel and its table (bind it after X), if any.
 */
export function axisGatherKernel(
  name: string,
  outShape: readonly number[],
  inShape: readonly number[],
  axes: readonly AxisSpec[],
  fill = 0,
): { kernel: KernelSpec; table?: Float32Array } {
  if (axes.length !== outShape.length || inShape.length !== outShape.length) throw new Error(`${name}: rank mismatch`);
  const table: number[] = [];
  const enc = axes.map((a, k) => encode(a, outShape[k], table));
  const T = (e: string) => `T[${e}]`;
  const lines: string[] = [];
  const outside: string[] = [];
  const loops: string[] = [];
  const weights: string[] = [];
  enc.forEach((e, k) => {
    const c = `c${k}`;
    if (e.kind === 'affine') {
      const same = e.start === 0 && e.step === 1;
      lines.push(`  let s${k} = ${same ? c : `u32(${e.start} + i32(${c}) * ${e.step})`};`);
    } else if (e.kind === 'map') {
      lines.push(`  let m${k} = i32(${T(`${e.offset}u + ${c}`)});`, `  let s${k} = u32(max(m${k}, 0));`);
      outside.push(`m${k} < 0`);
    } else {
      lines.push(`  let p${k} = u32(${T(`${e.ptr}u + ${c}`)});`, `  let q${k} = u32(${T(`${e.ptr + 1}u + ${c}`)});`);
      if (fill !== 0) outside.push(`p${k} == q${k}`);
      loops.push(
        `for (var k${k} = p${k}; k${k} < q${k}; k${k}++) { let s${k} = u32(${T(`${e.entries}u + 2u * k${k}`)}); let w${k} = ${T(`${e.entries + 1}u + 2u * k${k}`)};`,
      );
      weights.push(`w${k}`);
    }
  });
  const src = `X[${linearIndex(
    outShape.map((_, k) => `s${k}`),
    inShape,
  )}]`;
  const guard = outside.length ? `  if (${outside.join(' || ')}) { Y[i] = ${f32Lit(fill)}; return; }\n` : '';
  const body = loops.length
    ? `  var acc = 0.0;\n  ${loops.join('\n  ')}\n    acc += ${weights.join(' * ')} * ${src};\n  ${loops.map(() => '}').join('')}\n  Y[i] = acc;`
    : `  Y[i] = ${src};`;
  const kernel = elementKernel({
    name,
    inputs: table.length ? [{ name: 'X' }, { name: 'T' }] : [{ name: 'X' }],
    outputs: [{ name: 'Y' }],
    total: sizeOf(outShape),
    body: `${coordsOf(outShape)}\n${lines.join('\n')}\n${guard}${body}`,
  });
  return { kernel, table: table.length ? Float32Array.from(table) : undefined };
}
