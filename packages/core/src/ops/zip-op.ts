/**
 * Element-wise ops over any number of inputs broadcast together (numpy rules), one table row
 * each: the WGSL expression over the row's variables, the host function for constant folding,
 * and the VJP per input as WGSL over the variables, the forward output `y` and the incoming
 * gradient `g`. Comparison, logic, Where, rounding/Mod and the variadic Max/Min/Mean/Sum are
 * rows of this table (compare.ts, logic.ts, where.ts, rounding.ts, variadic.ts).
 * A VJP is written at the output's shape (`vjpShape`); the autodiff engine sums it down to a
 * broadcast input's shape, so no row reduces anything itself.
 */
import { fillKernel, usesVar, zipKernel } from '@camanim/shaders';
import { CamanimError } from '../errors.ts';
import type { DType, Node } from '../graph/ir.ts';
import { broadcastHost, broadcastShapes } from './broadcast.ts';
import { defineOp, gradInput, gradOutput, input, output, type Arg, type OpDef, type OpIO } from './op.ts';

export type Params = Record<string, number>;

export interface ZipRow {
  readonly type: string;
  /** WGSL variable per input, in input order; absent for variadic rows (`x0`, `x1`, ...). */
  readonly vars?: readonly string[];
  readonly params?: (node: Node, opset: number) => Params;
  /** Load-time checks of input types against the attributes (Mod's fmod). */
  readonly check?: (io: OpIO, p: Params) => void;
  /** Element type of the output; default: input 0's. */
  readonly dtype?: (inputs: readonly DType[]) => DType;
  readonly wgsl: (vars: readonly string[], p: Params) => string;
  /** The same on the host, in float64 (the fold rounds float32 outputs back to float32). */
  readonly host: (xs: readonly number[], p: Params) => number;
  /**
   * dL/d(input i) over the vars, `y` and `g`. 'zero' for step functions (comparisons,
   * rounding), whose derivative is 0 almost everywhere; undefined where no gradient can flow
   * (every input bool: the engine never asks).
   */
  readonly grad?: 'zero' | ((i: number, vars: readonly string[], p: Params) => string);
  /** Inputs through which no gradient flows (Where's condition). */
  readonly nonDifferentiable?: readonly number[];
  readonly header?: string;
}

/** Booleans are 0/1: float32 on the GPU, Float64Array on the host. */
export const BOOL = (v: boolean): number => (v ? 1 : 0);

function varsOf(row: ZipRow, n: number): readonly string[] {
  return row.vars ?? Array.from({ length: n }, (_, k) => `x${k}`);
}

function checkArity(row: ZipRow, io: OpIO): void {
  const n = io.node.inputs.length;
  const missing = io.inputs.findIndex((x) => !x);
  const want = row.vars ? `${row.vars.length}` : 'at least 1';
  if ((row.vars ? n !== row.vars.length : n < 1) || missing >= 0) {
    throw new CamanimError(
      'bad-model',
      `${row.type} takes ${want} input(s), got ${n}${missing >= 0 ? ` (input ${missing} is empty)` : ''}`,
      { node: io.node.name, op: io.node.opType },
      `Check the ${row.type} spec; the model file is corrupt or exported incorrectly`,
    );
  }
}

export function zipOp(row: ZipRow): OpDef<Params> {
  const { grad } = row;
  const def: OpDef<Params> = {
    type: row.type,
    attrs: (node, opset) => row.params?.(node, opset) ?? {},
    nonDifferentiable: row.nonDifferentiable,
    shape: (io, p) => {
      checkArity(row, io);
      row.check?.(io, p);
      const dtypes = io.inputs.map((x) => x!.dtype);
      return [
        {
          dtype: row.dtype?.(dtypes) ?? dtypes[0],
          shape: broadcastShapes(
            io.node,
            io.inputs.map((x) => x!.shape),
          ),
        },
      ];
    },
    fold: ({ consts }, p, outputs) => {
      if (consts.some((c) => !c)) return undefined;
      const out = outputs[0];
      return [
        {
          dtype: out.dtype,
          shape: out.shape,
          data: broadcastHost(
            out.shape,
            consts.map((c) => c!),
            (...xs) => row.host(xs, p),
            out.dtype === 'float32',
          ),
        },
      ];
    },
    forward: ({ node, inputs, outputs }, p) => {
      const vars = varsOf(row, inputs.length);
      const zip = vars.map((name, k) => ({ name, shape: inputs[k]!.shape }));
      return [
        {
          kernel: zipKernel(node.opType, outputs[0].shape, zip, row.wgsl(vars, p), row.header),
          args: [...inputs.map((_, k) => input(k)), output(0)],
        },
      ];
    },
  };
  if (!grad) return defineOp(def);
  return defineOp<Params>({
    ...def,
    vjpShape: (io, _p, i) => (grad === 'zero' ? io.inputs[i]!.shape : io.outputs[0].shape),
    vjp: (io, p) => {
      const vars = varsOf(row, io.inputs.length);
      const out = io.outputs[0].shape;
      return io.wanted.flatMap((w, i) => {
        if (!w) return [];
        if (grad === 'zero')
          return [
            {
              kernel: fillKernel(
                io.inputs[i]!.shape.reduce((a, b) => a * b, 1),
                0,
              ),
              args: [gradInput(i)],
            },
          ];
        const expr = grad(i, vars, p);
        const sources: [string, readonly number[], Arg][] = [
          ...vars.map((v, k): [string, readonly number[], Arg] => [v, io.inputs[k]!.shape, input(k)]),
          ['y', out, output(0)],
          ['g', out, gradOutput(0)],
        ];
        const used = sources.filter(([v]) => usesVar(expr, v));
        return [
          {
            kernel: zipKernel(
              `${row.type}_vjp${i}`,
              out,
              used.map(([name, shape]) => ({ name, shape })),
              expr,
              row.header,
            ),
            args: [...used.map(([, , a]) => a), gradInput(i)],
          },
        ];
      });
    },
  });
}
