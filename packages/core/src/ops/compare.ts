/**
 * Comparisons, one table row each: bool outputs (0/1), inputs broadcast (numpy rules).
 * https://onnx.ai/onnx/operators/onnx__Equal.html (Less, Greater, LessOrEqual, GreaterOrEqual)
 * VJP: zero for both inputs — a comparison is a step function of its inputs, flat almost
 * everywhere (ONNX marks these outputs non-differentiable; a zero keeps paths through a
 * float Cast of a mask from failing the backward plan).
 */
import { BOOL, zipOp, type ZipRow } from './zip-op.ts';

const compareRow = (type: string, wgsl: string, host: (a: number, b: number) => boolean): ZipRow => ({
  type,
  vars: ['a', 'b'],
  dtype: () => 'bool',
  wgsl: () => `select(0.0, 1.0, ${wgsl})`,
  host: ([a, b]) => BOOL(host(a, b)),
  grad: 'zero',
});

export const compareRows: readonly ZipRow[] = [
  compareRow('Equal', 'a == b', (a, b) => a === b),
  compareRow('Less', 'a < b', (a, b) => a < b),
  compareRow('Greater', 'a > b', (a, b) => a > b),
  compareRow('LessOrEqual', 'a <= b', (a, b) => a <= b),
  compareRow('GreaterOrEqual', 'a >= b', (a, b) => a >= b),
];

export const compareOps = compareRows.map(zipOp);
