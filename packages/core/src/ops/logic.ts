/**
 * Logical ops on bool tensors (0/1; any non-zero reads as true), one table row each; the
 * binary ones broadcast (numpy rules). No gradient flows through bools.
 * https://onnx.ai/onnx/operators/onnx__Not.html (And, Or, Xor)
 */
import { BOOL, zipOp, type ZipRow } from './zip-op.ts';

export const logicRows: readonly ZipRow[] = [
  {
    type: 'Not',
    vars: ['a'],
    dtype: () => 'bool',
    wgsl: () => 'select(1.0, 0.0, a != 0.0)',
    host: ([a]) => BOOL(a === 0),
    nonDifferentiable: [0],
  },
  {
    type: 'And',
    vars: ['a', 'b'],
    dtype: () => 'bool',
    wgsl: () => 'select(0.0, 1.0, a != 0.0 && b != 0.0)',
    host: ([a, b]) => BOOL(a !== 0 && b !== 0),
    nonDifferentiable: [0, 1],
  },
  {
    type: 'Or',
    vars: ['a', 'b'],
    dtype: () => 'bool',
    wgsl: () => 'select(0.0, 1.0, a != 0.0 || b != 0.0)',
    host: ([a, b]) => BOOL(a !== 0 || b !== 0),
    nonDifferentiable: [0, 1],
  },
  {
    type: 'Xor',
    vars: ['a', 'b'],
    dtype: () => 'bool',
    wgsl: () => 'select(0.0, 1.0, (a != 0.0) != (b != 0.0))',
    host: ([a, b]) => BOOL((a !== 0) !== (b !== 0)),
    nonDifferentiable: [0, 1],
  },
];

export const logicOps = logicRows.map(zipOp);
