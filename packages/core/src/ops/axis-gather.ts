/**
 * Shared by the data-movement ops (Slice, Split, Concat, Pad, Gather, Resize): steps for the
 * separable gather kernel of `@camanim/shaders` (forward, and VJP over the transposed taps),
 * the same gather on the host for constant folding, and opset-dependent int parameters.
 */
import { axisGatherKernel, stridesOf, transposeAxis, type AxisSpec, type Tap } from '@camanim/shaders';
import { elementCount, type HostTensor } from '../graph/ir.ts';
import { constInts } from './const-inputs.ts';
import type { Arg, OpIO, Step } from './op.ts';

/**
 * The kernel step gathering `from` (inShape) into `to` (outShape), none when the output is
 * empty; its table is plan-time data keyed by its content.
 */
export function gatherStep(
  name: string,
  outShape: readonly number[],
  inShape: readonly number[],
  axes: readonly AxisSpec[],
  from: Arg,
  to: Arg,
  fill = 0,
): Step[] {
  if (elementCount(outShape) === 0) return [];
  const { kernel, table } = axisGatherKernel(name, outShape, inShape, axes, fill);
  return [{ kernel, args: table ? [from, { kind: 'data', key: `taps:${contentKey(table)}`, data: table }, to] : [from, to] }];
}

/** The VJP of `gatherStep`: dX[j] = Σ over outputs o reading j of w · dY[o] (a gather, every element written). */
export function gatherVjpStep(
  name: string,
  outShape: readonly number[],
  inShape: readonly number[],
  axes: readonly AxisSpec[],
  from: Arg,
  to: Arg,
): Step[] {
  return gatherStep(
    `${name}_vjp`,
    inShape,
    outShape,
    axes.map((a, k) => transposeAxis(a, outShape[k], inShape[k])),
    from,
    to,
  );
}

/** The same gather on the host (constant folding of int and float tensors). */
export function hostGather(x: HostTensor, outShape: readonly number[], axes: readonly AxisSpec[], fill = 0): HostTensor {
  const rank = outShape.length;
  const taps: (readonly Tap[])[][] = axes.map((a, k) =>
    a.kind === 'taps' ? [...a.taps] : Array.from({ length: outShape[k] }, (_, o) => [{ src: a.start + o * a.step, w: 1 }]),
  );
  const inStrides = stridesOf(x.shape);
  const n = outShape.reduce((a, b) => a * b, 1);
  const out = x.dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  const coord = new Array<number>(rank).fill(0);
  const sum = (k: number, offset: number, w: number): number => {
    if (k === rank) return w * x.data[offset];
    let s = 0;
    for (const t of taps[k][coord[k]]) s += sum(k + 1, offset + t.src * inStrides[k], w * t.w);
    return s;
  };
  for (let i = 0; i < n; i++) {
    out[i] = taps.some((t, k) => t[coord[k]].length === 0) ? fill : sum(0, 0, 1);
    for (let k = rank - 1; k >= 0; k--) {
      if (++coord[k] < outShape[k]) break;
      coord[k] = 0;
    }
  }
  return { dtype: x.dtype, shape: [...outShape], data: out };
}

/**
 * An int list that is an attribute before `since` and a constant input (index `k`) from it on
 * (Split's split, Squeeze's axes, Pad's pads, Slice's starts...). undefined when absent.
 */
export function intsSince(io: OpIO, since: number, attr: readonly number[] | undefined, k: number): number[] | undefined {
  return io.opset < since ? (attr ? [...attr] : undefined) : constInts(io, k);
}

/** Two FNV-1a hashes of the bytes: a cache key that cannot drift from the table it names. */
function contentKey(data: Float32Array): string {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ bytes.length;
  for (let i = 0; i < bytes.length; i++) {
    a = Math.imul(a ^ bytes[i], 0x01000193);
    b = Math.imul(b ^ bytes[i], 0x5bd1e995) ^ (b >>> 15);
  }
  return `${bytes.length}:${(a >>> 0).toString(16)}${(b >>> 0).toString(16)}`;
}
