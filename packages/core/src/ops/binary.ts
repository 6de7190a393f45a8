/**
 * Binary element-wise ops with numpy broadcasting, one table row each: the WGSL expression
 * over `a` and `b`, the host function for constant folding, and the VJP expressions for
 * each input (over `a`, `b`, `y` and the incoming gradient `g`).
 * https://onnx.ai/onnx/operators/onnx__Add.html (Sub, Mul, Div, Pow, PRelu alike)
 */
import { binaryKernel, usesVar, zipKernel } from '@camanim/shaders';
import { isFloat } from '../graph/ir.ts';
import { broadcastHost, broadcastShapes } from './broadcast.ts';
import { defineOp, gradInput, gradOutput, input, output, type Arg, type OpDef, type Step, type VjpIO } from './op.ts';

export interface BinaryRow {
  readonly type: string;
  readonly wgsl: string;
  readonly host: (a: number, b: number) => number;
  /** dL/da and dL/db as WGSL over a, b, y, g; reduced over broadcast dims by autodiff. */
  readonly grad: readonly [string, string];
  readonly header?: string;
  /** Re-shapes `b` before broadcasting (PRelu's legacy per-channel slope). */
  readonly alignB?: (a: readonly number[], b: readonly number[]) => readonly number[];
}

export const binaryRows: readonly BinaryRow[] = [
  { type: 'Add', wgsl: 'a + b', host: (a, b) => a + b, grad: ['g', 'g'] },
  { type: 'Sub', wgsl: 'a - b', host: (a, b) => a - b, grad: ['g', '-g'] },
  { type: 'Mul', wgsl: 'a * b', host: (a, b) => a * b, grad: ['g * b', 'g * a'] },
  { type: 'Div', wgsl: 'a / b', host: (a, b) => a / b, grad: ['g / b', '-g * a / (b * b)'] },
  // pow(a, b) in WGSL is undefined for a < 0; ONNX allows integer exponents of negatives.
  {
    type: 'Pow',
    wgsl: 'pow_any(a, b)',
    host: (a, b) => a ** b,
    grad: ['g * b * pow_any(a, b - 1.0)', 'g * y * log(a)'],
    header: POW_HEADER(),
  },
  {
    type: 'PRelu',
    wgsl: 'select(a * b, a, a >= 0.0)',
    host: (a, b) => (a >= 0 ? a : a * b),
    grad: ['select(g * b, g, a >= 0.0)', 'select(g * a, 0.0, a >= 0.0)'],
    // Exporters of older opsets give a [C] slope for an [N, C, ...] input: one slope per channel.
    alignB: (a, b) =>
      b.length === 1 && a.length > 2 && b[0] === a[1] && b[0] !== a[a.length - 1] ? [b[0], ...a.slice(2).map(() => 1)] : b,
  },
];

function POW_HEADER(): string {
  return `fn pow_any(a: f32, b: f32) -> f32 {
  if (a >= 0.0) { return pow(a, b); }
  let r = pow(-a, b);
  if (b == round(b)) { return select(r, -r, (i32(b) & 1) == 1); }
  var nan_bits = 0x7fc00000u;
  return bitcast<f32>(nan_bits);
}`;
}

export function binaryOp(row: BinaryRow): OpDef<null> {
  return defineOp<null>({
    type: row.type,
    attrs: () => null,
    shape: ({ node, inputs }) => {
      const a = inputs[0]!;
      const b = bShape(row, a.shape, inputs[1]!.shape);
      return [{ dtype: a.dtype, shape: broadcastShapes(node, [a.shape, b]) }];
    },
    fold: ({ consts }, _attrs, outputs) => {
      const [a, b] = consts;
      if (!a || !b) return undefined;
      const int = !isFloat(a.dtype);
      const f = int && row.type === 'Div' ? (x: number, y: number) => Math.trunc(x / y) : row.host;
      const bb = { ...b, shape: bShape(row, a.shape, b.shape) };
      return [
        { dtype: a.dtype, shape: outputs[0].shape, data: broadcastHost(outputs[0].shape, [a, bb], f, a.dtype === 'float32') },
      ];
    },
    forward: ({ node, inputs, outputs }) => [
      {
        kernel: binaryKernel(
          node.opType,
          outputs[0].shape,
          inputs[0]!.shape,
          bShape(row, inputs[0]!.shape, inputs[1]!.shape),
          row.wgsl,
          row.header,
        ),
        args: [input(0), input(1), output(0)],
      },
    ],
    vjp: (io) => [0, 1].filter((i) => io.wanted[i]).map((i) => binaryVjp(row, io, i)),
    // Each VJP is written at the output's shape; the engine sums it down to the input's
    // shape as the forward broadcast it (PRelu's legacy [C] slope as [C, 1, 1]).
    vjpShape: (io) => io.outputs[0].shape,
    broadcastAs: (io, _a, i) => (i === 1 ? bShape(row, io.inputs[0]!.shape, io.inputs[1]!.shape) : io.inputs[0]!.shape),
  });
}

/** dL/d(input i) at the output's shape as one zip over a, b, y, g. */
function binaryVjp(row: BinaryRow, io: VjpIO, i: number): Step {
  const out = io.outputs[0].shape;
  const aShape = io.inputs[0]!.shape;
  const shapes = [aShape, bShape(row, aShape, io.inputs[1]!.shape), out, out];
  const sources: [string, Arg][] = [
    ['a', input(0)],
    ['b', input(1)],
    ['y', output(0)],
    ['g', gradOutput(0)],
  ];
  const expr = row.grad[i];
  const used = sources.map((s, k) => [...s, shapes[k]] as const).filter(([v]) => usesVar(expr, v));
  const kernel = zipKernel(
    `${row.type}_vjp${i}`,
    out,
    used.map(([name, , shape]) => ({ name, shape })),
    expr,
    row.header,
  );
  return { kernel, args: [...used.map(([, a]) => a), gradInput(i)] };
}

function bShape(row: BinaryRow, a: readonly number[], b: readonly number[]): readonly number[] {
  return row.alignB ? row.alignB(a, b) : b;
}

export const binaryOps = binaryRows.map(binaryOp);
