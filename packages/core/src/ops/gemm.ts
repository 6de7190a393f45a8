/**
 * Gemm: Y = alpha · A' · B' + beta · C, A' = transA ? Aᵀ : A, B' likewise, C broadcast
 * (unidirectionally) to [M, N] and optional from opset 11 (opsets 1–13; the pre-7 `broadcast`
 * attribute only allowed what numpy broadcasting does anyway).
 * https://onnx.ai/onnx/operators/onnx__Gemm.html
 * The transposes are strides of the GEMM kernel's operand views; C is read in its epilogue.
 * VJP: dA' = alpha · dY · B'ᵀ, dB' = alpha · A'ᵀ · dY (transposed back through the output
 * strides), dC = beta · dY written as [M, N] and summed to C's shape by the engine.
 */
import { f32Lit, gemmKernel, gemmTile, unaryKernel, type GemmOperand, type TileProfile } from '@camanim/shaders';
import { shapeError } from '../errors.ts';
import { floatAttr, intAttr } from './attrs.ts';
import { defineOp, gradInput, gradOutput, input, output, type Arg, type KernelIO, type Step } from './op.ts';

interface Attrs {
  readonly alpha: number;
  readonly beta: number;
  readonly transA: boolean;
  readonly transB: boolean;
}

function dims({ node, inputs }: Pick<KernelIO, 'node' | 'inputs'>, a: Attrs): { m: number; k: number; n: number } {
  const [as, bs] = [inputs[0]!.shape, inputs[1]!.shape];
  if (as.length !== 2 || bs.length !== 2)
    throw shapeError(node, `Gemm needs 2-D A and B, got [${as.join(', ')}] and [${bs.join(', ')}]`);
  const [m, k] = a.transA ? [as[1], as[0]] : as;
  const [kb, n] = a.transB ? [bs[1], bs[0]] : bs;
  if (k !== kb)
    throw shapeError(
      node,
      `Gemm inner dims differ: A' is ${m}×${k}, B' is ${kb}×${n}`,
      'Check transA/transB and the input shapes',
    );
  const c = inputs[2]?.shape;
  if (c && (c.length > 2 || c.some((d, i) => d !== 1 && d !== [m, n][i + 2 - c.length]))) {
    throw shapeError(node, `Gemm's C [${c.join(', ')}] does not broadcast to [${m}, ${n}]`);
  }
  return { m, k, n };
}

/** A matrix of `rows` × `cols` stored row-major, read as itself or (transposed) as cols × rows. */
const matrix = (buffer: string, cols: number, transposed: boolean): GemmOperand =>
  transposed ? { buffer, rowStride: 1, colStride: cols } : { buffer, rowStride: cols, colStride: 1 };

function product(
  tiles: TileProfile,
  name: string,
  m: number,
  n: number,
  k: number,
  a: GemmOperand,
  b: GemmOperand,
  outT: boolean,
  args: Arg[],
  epilogue: (v: string, m: string, n: string) => string,
  extras?: string[],
): Step {
  const out = outT ? { rowStride: 1, colStride: m } : { rowStride: n, colStride: 1 };
  return {
    kernel: gemmKernel({ name, m, n, k, a, b, out, extras, epilogue, tile: gemmTile(tiles, m, n, k), profile: tiles }),
    args,
  };
}

const scaled = (s: number) => (v: string) => (s === 1 ? v : `${f32Lit(s)} * ${v}`);

export const gemm = defineOp<Attrs>({
  type: 'Gemm',
  attrs: (node) => ({
    alpha: floatAttr(node, 'alpha', 1),
    beta: floatAttr(node, 'beta', 1),
    transA: intAttr(node, 'transA', 0) === 1,
    transB: intAttr(node, 'transB', 0) === 1,
  }),
  shape: (io, a) => {
    const { m, n } = dims(io, a);
    return [{ dtype: io.inputs[0]!.dtype, shape: [m, n] }];
  },
  forward: (io, at) => {
    const { m, k, n } = dims(io, at);
    const [as, bs] = [io.inputs[0]!.shape, io.inputs[1]!.shape];
    const a = matrix('A', as[1], at.transA);
    const b = matrix('B', bs[1], at.transB);
    const c = io.inputs[2]?.shape;
    const name = `gemm[${m}x${k}x${n}${at.transA ? ' tA' : ''}${at.transB ? ' tB' : ''}]`;
    if (!c || at.beta === 0)
      return [product(io.tiles, name, m, n, k, a, b, false, [input(0), input(1), output(0)], scaled(at.alpha))];
    const [cm, cn] = c.length === 2 ? c : [1, c[0] ?? 1];
    const cIndex = (mi: string, ni: string) =>
      [cm === 1 ? '' : `${mi} * ${cn}u`, cn === 1 ? '' : ni].filter(Boolean).join(' + ') || '0u';
    const epilogue = (v: string, mi: string, ni: string) => `${scaled(at.alpha)(v)} + ${scaled(at.beta)(`C[${cIndex(mi, ni)}]`)}`;
    return [product(io.tiles, name, m, n, k, a, b, false, [input(0), input(1), input(2), output(0)], epilogue, ['C'])];
  },
  vjp: (io, at) => {
    const { m, k, n } = dims(io, at);
    const dy = matrix('G', n, false);
    const steps: Step[] = [];
    if (io.wanted[0]) {
      // dA' [M, K] = alpha · dY · B'ᵀ, where B'ᵀ is B read with the opposite transposition.
      const bT = matrix('B', io.inputs[1]!.shape[1], !at.transB);
      steps.push(
        product(
          io.tiles,
          `gemm_grad_a[${m}x${n}x${k}]`,
          m,
          k,
          n,
          dy,
          bT,
          at.transA,
          [gradOutput(0), input(1), gradInput(0)],
          scaled(at.alpha),
        ),
      );
    }
    if (io.wanted[1]) {
      const aT = matrix('A', io.inputs[0]!.shape[1], !at.transA);
      steps.push(
        product(
          io.tiles,
          `gemm_grad_b[${k}x${m}x${n}]`,
          k,
          n,
          m,
          aT,
          dy,
          at.transB,
          [input(0), gradOutput(0), gradInput(1)],
          scaled(at.alpha),
        ),
      );
    }
    if (io.wanted[2])
      steps.push({ kernel: unaryKernel('gemm_grad_c', [m, n], scaled(at.beta)('x')), args: [gradOutput(0), gradInput(2)] });
    return steps;
  },
  vjpShape: (io, at, i) => (i === 2 ? [dims(io, at).m, dims(io, at).n] : io.inputs[i]!.shape),
});
