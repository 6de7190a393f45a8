/**
 * Pooling over the spatial dims of [N, C, ...spatial] (1-D, 2-D, 3-D alike): one invocation
 * per output element looping over its window, and for the VJPs one invocation per input
 * element gathering from the windows that contain it (no atomics, no barriers). The window
 * bounds are clipped to the input per dim, so the loops never test padding element by element.
 */
import { coordsOf } from './index-map.ts';
import { elementKernel, f32Lit, type KernelSpec } from './kernel.ts';
import { sizeOf, stridesOf } from './strides.ts';

export interface PoolGeometry {
  /** [N, C, ...spatial] */
  readonly input: readonly number[];
  readonly output: readonly number[];
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  readonly padsBegin: readonly number[];
  readonly padsEnd: readonly number[];
}

const spatial = (s: readonly number[]) => s.slice(2);
/** Marks a window with no element inside the input. */
const NONE = '0xffffffffu';

/**
 * Window of output coordinate `o` (an i32 expression) along dim `d`: start `b{d}` in input
 * coordinates, valid taps `lo{d}..hi{d}`, and `hp{d}`, the end of the taps inside the padded
 * input (what count_include_pad counts; ONNX AveragePool, like PyTorch's divisor).
 */
function windowBounds(g: PoolGeometry, d: number, o: string): string {
  const [K, S, D, P, E, In] = [g.kernel[d], g.strides[d], g.dilations[d], g.padsBegin[d], g.padsEnd[d], spatial(g.input)[d]];
  return `    let b${d} = ${o} * ${S} - ${P};
    let lo${d} = select(0, (-b${d} + ${D - 1}) / ${D}, b${d} < 0);
    let hi${d} = min(${K}, (${In} - b${d} + ${D - 1}) / ${D});
    let hp${d} = min(${K}, (${In + E} - b${d} + ${D - 1}) / ${D});`;
}

/** Divisor of an average window: taps inside the input, or inside the padded input. */
function windowCount(g: PoolGeometry, includePad: boolean): string {
  const dims = spatial(g.input).map((_, d) => (includePad ? `hp${d}` : `(hi${d} - lo${d})`));
  return `f32(max(1, ${dims.join(' * ')}))`;
}

/** Loops over the taps of the window of output element `i`; `q` is a tap's position in its plane. */
function eachTap(g: PoolGeometry, stmts: string): string {
  const inS = stridesOf(spatial(g.input));
  const open = spatial(g.input)
    .map((_, d) => `for (var k${d} = lo${d}; k${d} < hi${d}; k${d}++) {`)
    .join(' ');
  const q = inS.map((s, d) => `u32(b${d} + k${d} * ${g.dilations[d]}) * ${s}u`).join(' + ');
  return `  ${open}
    let q = ${q};
${stmts}
  ${spatial(g.input)
    .map(() => '}')
    .join('')}`;
}

/** Shared prelude of the per-output kernels: plane offset and window bounds of element `i`. */
function outputPrelude(g: PoolGeometry): string {
  const outSp = sizeOf(spatial(g.output));
  return `  let plane = (i / ${outSp}u) * ${sizeOf(spatial(g.input))}u;
  let j = i % ${outSp}u;
${coordsOf(spatial(g.output), 'j', 'o')}
${spatial(g.input)
  .map((_, d) => windowBounds(g, d, `i32(o${d})`))
  .join('\n')}`;
}

export function maxPoolKernel(g: PoolGeometry): KernelSpec {
  return elementKernel({
    name: `max_pool[${g.kernel.join('x')} s${g.strides.join('x')}]`,
    inputs: [{ name: 'X' }],
    outputs: [{ name: 'Y' }],
    total: sizeOf(g.output),
    body: `${outputPrelude(g)}
  var m = ${f32Lit(-Infinity)};
${eachTap(g, '    m = max(m, X[plane + q]);')}
  Y[i] = m;`,
  });
}

export function averagePoolKernel(g: PoolGeometry, countIncludePad: boolean): KernelSpec {
  return elementKernel({
    name: `average_pool[${g.kernel.join('x')} s${g.strides.join('x')}${countIncludePad ? ' incl_pad' : ''}]`,
    inputs: [{ name: 'X' }],
    outputs: [{ name: 'Y' }],
    total: sizeOf(g.output),
    body: `${outputPrelude(g)}
  var acc = 0.0;
${eachTap(g, '    acc += X[plane + q];')}
  Y[i] = acc / ${windowCount(g, countIncludePad)};`,
  });
}

/**
 * The argmax of each window as its position in the input plane (u32), first maximum in
 * row-major window order winning, as PyTorch's max_pool does; `NONE` for empty windows.
 */
export function maxPoolArgmaxKernel(g: PoolGeometry): KernelSpec {
  return elementKernel({
    name: `max_pool_argmax[${g.kernel.join('x')} s${g.strides.join('x')}]`,
    inputs: [{ name: 'X' }],
    outputs: [{ name: 'ARG', type: 'u32' }],
    total: sizeOf(g.output),
    body: `${outputPrelude(g)}
  var m = 0.0;
  var a = ${NONE};
${eachTap(g, `    let v = X[plane + q];\n    if (a == ${NONE} || v > m) { m = v; a = q; }`)}
  ARG[i] = a;`,
  });
}

/**
 * Loops over the output elements whose window contains input element `i` (position `p` in
 * its plane): for tap k, o = (p + pad - k·dilation) / stride must be whole and in range, so o
 * runs over [ceil((p + pad - (K-1)·dilation) / stride), floor((p + pad) / stride)].
 * `oi` is the output element; window bounds of `o` are in scope for the divisor.
 */
function eachWindowOf(g: PoolGeometry, stmts: string): string {
  const inSp = spatial(g.input);
  const outSp = spatial(g.output);
  const outS = stridesOf(outSp);
  const loops = inSp.map((_, d) => {
    const [K, S, D, P] = [g.kernel[d], g.strides[d], g.dilations[d], g.padsBegin[d]];
    const far = (K - 1) * D;
    return `  let t${d} = i32(p${d}) + ${P};
  let olo${d} = select(0, (t${d} - ${far} + ${S - 1}) / ${S}, t${d} > ${far});
  let ohi${d} = min(${outSp[d] - 1}, t${d} / ${S});
  for (var o${d} = olo${d}; o${d} <= ohi${d}; o${d}++) {
${D > 1 ? `    if ((t${d} - o${d} * ${S}) % ${D} != 0) { continue; }\n` : ''}${windowBounds(g, d, `o${d}`)}`;
  });
  const oi = outS.map((s, d) => `u32(o${d}) * ${s}u`).join(' + ');
  return `${loops.join('\n')}
    let oi = oplane + ${oi};
${stmts}
  ${inSp.map(() => '}').join('')}`;
}

function inputPrelude(g: PoolGeometry): string {
  const inSp = sizeOf(spatial(g.input));
  return `  let oplane = (i / ${inSp}u) * ${sizeOf(spatial(g.output))}u;
  let p = i % ${inSp}u;
${coordsOf(spatial(g.input), 'p', 'p')}`;
}

/** dX: the sum of the gradients of the windows whose argmax (from `maxPoolArgmaxKernel`) is this element. */
export function maxPoolGradKernel(g: PoolGeometry): KernelSpec {
  return elementKernel({
    name: `max_pool_grad[${g.kernel.join('x')} s${g.strides.join('x')}]`,
    inputs: [{ name: 'ARG', type: 'u32' }, { name: 'G' }],
    outputs: [{ name: 'DX' }],
    total: sizeOf(g.input),
    body: `${inputPrelude(g)}
  var acc = 0.0;
${eachWindowOf(g, '    if (ARG[oi] == p) { acc += G[oi]; }')}
  DX[i] = acc;`,
  });
}

/** dX: Σ over the windows containing this element of g / (that window's divisor). */
export function averagePoolGradKernel(g: PoolGeometry, countIncludePad: boolean): KernelSpec {
  return elementKernel({
    name: `average_pool_grad[${g.kernel.join('x')} s${g.strides.join('x')}${countIncludePad ? ' incl_pad' : ''}]`,
    inputs: [{ name: 'G' }],
    outputs: [{ name: 'DX' }],
    total: sizeOf(g.input),
    body: `${inputPrelude(g)}
  var acc = 0.0;
${eachWindowOf(g, `    acc += G[oi] / ${windowCount(g, countIncludePad)};`)}
  DX[i] = acc;`,
  });
}
