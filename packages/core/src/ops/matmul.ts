/**
 * MatMul: numpy matmul — batch dims broadcast, a 1-D operand is promoted to a matrix (a row
 * for A, a column for B) and its unit dim dropped from the result (opsets 1–13).
 * https://onnx.ai/onnx/operators/onnx__MatMul.html
 * VJP: dA = dY·Bᵀ and dB = Aᵀ·dY, the same GEMM kernel over transposed views, written in the
 * output's batch shape; the engine sums the broadcast batch dims back (vjpShape).
 */
import { broadcastIndex, gemmKernel, gemmTile, sizeOf, type GemmOperand, type TileProfile } from '@camanim/shaders';
import { shapeError } from '../errors.ts';
import type { Node } from '../graph/ir.ts';
import { broadcastShapes } from './broadcast.ts';
import { defineOp, gradInput, gradOutput, input, output, type Arg, type Step } from './op.ts';

export interface MatMulGeometry {
  readonly m: number;
  readonly k: number;
  readonly n: number;
  /** Broadcast batch dims of the output, and each operand's own. */
  readonly batch: readonly number[];
  readonly aBatch: readonly number[];
  readonly bBatch: readonly number[];
  readonly out: readonly number[];
}

export function matmulGeometry(node: Node, a: readonly number[], b: readonly number[]): MatMulGeometry {
  if (!a.length || !b.length)
    throw shapeError(node, `MatMul needs operands of rank 1 or more, got [${a.join(', ')}] and [${b.join(', ')}]`);
  const a2 = a.length === 1 ? [1, a[0]] : a;
  const b2 = b.length === 1 ? [b[0], 1] : b;
  const [m, k] = a2.slice(-2);
  const [kb, n] = b2.slice(-2);
  if (k !== kb)
    throw shapeError(
      node,
      `MatMul inner dims differ: [${a.join(', ')}] × [${b.join(', ')}]`,
      'Check the input shapes the model expects',
    );
  const aBatch = a2.slice(0, -2);
  const bBatch = b2.slice(0, -2);
  const batch = broadcastShapes(node, [aBatch, bBatch]);
  const out = [...batch, ...(a.length === 1 ? [] : [m]), ...(b.length === 1 ? [] : [n])];
  return { m, k, n, batch, aBatch, bBatch, out };
}

/** Batch view of an operand of batch dims `own` (matrix size `size`) from the output batch index `bt`. */
function batchOf(g: MatMulGeometry, own: readonly number[], size: number) {
  return sizeOf(own) === 1 ? undefined : { index: broadcastIndex('bt', g.batch, own), stride: size };
}

/** One GEMM over the output batch: Y[bt] (rows × cols, row-major) = A'[bt] · B'[bt]. */
function product(
  tiles: TileProfile,
  name: string,
  g: MatMulGeometry,
  rows: number,
  cols: number,
  inner: number,
  a: GemmOperand,
  b: GemmOperand,
  args: Arg[],
): Step {
  const batch = sizeOf(g.batch);
  const kernel = gemmKernel({
    name,
    m: rows,
    n: cols,
    k: inner,
    batch,
    a,
    b,
    out: { rowStride: cols, colStride: 1, batch: batch > 1 ? { index: 'bt', stride: rows * cols } : undefined },
    tile: gemmTile(tiles, rows, cols, inner, batch),
    profile: tiles,
  });
  return { kernel, args };
}

export const matmul = defineOp<null>({
  type: 'MatMul',
  attrs: () => null,
  shape: ({ node, inputs }) => [{ dtype: inputs[0]!.dtype, shape: matmulGeometry(node, inputs[0]!.shape, inputs[1]!.shape).out }],
  forward: ({ node, inputs, tiles }) => {
    const g = matmulGeometry(node, inputs[0]!.shape, inputs[1]!.shape);
    const a = { buffer: 'A', rowStride: g.k, colStride: 1, batch: batchOf(g, g.aBatch, g.m * g.k) };
    const b = { buffer: 'B', rowStride: g.n, colStride: 1, batch: batchOf(g, g.bBatch, g.k * g.n) };
    return [product(tiles, `matmul[${g.m}x${g.k}x${g.n}]`, g, g.m, g.n, g.k, a, b, [input(0), input(1), output(0)])];
  },
  vjp: ({ node, inputs, wanted, tiles }) => {
    const g = matmulGeometry(node, inputs[0]!.shape, inputs[1]!.shape);
    const dy = (rowStride: number, colStride: number) => ({
      buffer: 'G',
      rowStride,
      colStride,
      batch: batchOf(g, g.batch, g.m * g.n),
    });
    const steps: Step[] = [];
    if (wanted[0]) {
      const bT = { buffer: 'B', rowStride: 1, colStride: g.n, batch: batchOf(g, g.bBatch, g.k * g.n) };
      steps.push(
        product(tiles, `matmul_grad_a[${g.m}x${g.n}x${g.k}]`, g, g.m, g.k, g.n, dy(g.n, 1), bT, [
          gradOutput(0),
          input(1),
          gradInput(0),
        ]),
      );
    }
    if (wanted[1]) {
      const aT = { buffer: 'A', rowStride: 1, colStride: g.k, batch: batchOf(g, g.aBatch, g.m * g.k) };
      steps.push(
        product(tiles, `matmul_grad_b[${g.k}x${g.m}x${g.n}]`, g, g.k, g.n, g.m, aT, dy(g.n, 1), [
          input(0),
          gradOutput(0),
          gradInput(1),
        ]),
      );
    }
    return steps;
  },
  // Gradients are written in the output's batch shape (unit dims of 1-D operands dropped).
  vjpShape: ({ node, inputs }, _a, i) => {
    const g = matmulGeometry(node, inputs[0]!.shape, inputs[1]!.shape);
    const own =
      i === 0 ? (inputs[0]!.shape.length === 1 ? [g.k] : [g.m, g.k]) : inputs[1]!.shape.length === 1 ? [g.k] : [g.k, g.n];
    return [...g.batch, ...own];
  },
});
