/**
 * Shared by ArgMax/ArgMin and TopK: the [outer, n, inner] view around an axis, the order of
 * elements along it (the largest or smallest first, NaN first or last, ties by index: the GPU
 * kernels' order, shaders/rank.ts), and the check that indices fit the f32 the GPU writes.
 */
import type { Axis3 } from '@camanim/shaders';
import { shapeError } from '../errors.ts';
import { elementCount, type Node } from '../graph/ir.ts';
import { normAxis } from './attrs.ts';

/** Indices along an axis are written as f32 on the GPU: exact below 2^24. */
const F32_EXACT = 2 ** 24;

export function axisView(node: Node, shape: readonly number[], axis: number): Axis3 {
  const a = normAxis(node, axis, shape.length);
  if (shape[a] > F32_EXACT)
    throw shapeError(
      node,
      `Axis ${a} has ${shape[a]} elements; camanim's indices along an axis stop at 2^24`,
      'Run a smaller input, or this model with onnxruntime',
    );
  return [elementCount(shape.slice(0, a)), shape[a], elementCount(shape.slice(a + 1))];
}

/** w comes before v in the order (largest first unless `largest` is false), NaN before (or after) every number. */
export function above(w: number, v: number, largest: boolean, nanFirst: boolean): boolean {
  if (Number.isNaN(w) !== Number.isNaN(v)) return Number.isNaN(nanFirst ? w : v);
  return largest ? w > v : w < v;
}

/**
 * For each row (o, q) of the view, the positions along the axis in order: [outer·inner][n].
 * NaN above every number (first of the largest, last of the smallest), as torch.topk orders it.
 */
export function orderedRows(data: ArrayLike<number>, [outer, n, inner]: Axis3, largest: boolean): number[][] {
  const rows: number[][] = [];
  for (let o = 0; o < outer; o++)
    for (let q = 0; q < inner; q++) {
      const at = (b: number) => Number(data[(o * n + b) * inner + q]);
      rows.push(
        Array.from({ length: n }, (_, b) => b).sort((a, b) =>
          above(at(a), at(b), largest, largest) ? -1 : above(at(b), at(a), largest, largest) ? 1 : a - b,
        ),
      );
    }
  return rows;
}
