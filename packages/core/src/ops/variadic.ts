/**
 * Max, Min, Mean, Sum over 1..N inputs broadcast together (numpy rules), one table row each.
 * https://onnx.ai/onnx/operators/onnx__Max.html (Min, Mean, Sum)
 * VJPs: Sum passes dY to every input, Mean dY / N. Max and Min pass dY to the inputs that hold
 * the extreme, split evenly among those tied for it: for two inputs this is torch.maximum's
 * rule (half each on a tie), and it is the same tie rule as ReduceMax (reduce.ts).
 */
import { f32Lit } from '@camanim/shaders';
import { zipOp, type ZipRow } from './zip-op.ts';

const nest = (fn: string, vars: readonly string[]) => vars.reduce((acc, v) => `${fn}(${acc}, ${v})`);

/** dY to input i where it equals the extreme y, divided by how many inputs do. */
const extremeGrad = (i: number, vars: readonly string[]) => {
  const holds = (v: string) => `select(0.0, 1.0, ${v} == y)`;
  return `g * ${holds(vars[i])} / (${vars.map(holds).join(' + ')})`;
};

export const variadicRows: readonly ZipRow[] = [
  { type: 'Max', wgsl: (v) => nest('max', v), host: (xs) => Math.max(...xs), grad: extremeGrad },
  { type: 'Min', wgsl: (v) => nest('min', v), host: (xs) => Math.min(...xs), grad: extremeGrad },
  {
    type: 'Mean',
    wgsl: (v) => `(${v.join(' + ')}) * ${f32Lit(1 / v.length)}`,
    host: (xs) => xs.reduce((a, b) => a + b, 0) / xs.length,
    grad: (_i, v) => `g * ${f32Lit(1 / v.length)}`,
  },
  { type: 'Sum', wgsl: (v) => v.join(' + '), host: (xs) => xs.reduce((a, b) => a + b, 0), grad: () => 'g' },
];

export const variadicOps = variadicRows.map(zipOp);
