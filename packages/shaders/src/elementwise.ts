/**
 * Element-parallel kernel families parameterised by a one-line WGSL expression:
 * `unaryKernel` maps `x`, `binaryKernel` zips `a` and `b` under numpy broadcasting,
 * `ternaryKernel` zips `a`, `b`, `c` (used by VJPs such as dx = g * f'(x)).
 */
import { broadcastIndex, sizeOf } from './strides.ts';
import { elementKernel, type KernelSpec } from './kernel.ts';

/** `expr` uses `x` (the input element); `header` may define helper functions. */
export function unaryKernel(name: string, shape: readonly number[], expr: string, header = ''): KernelSpec {
  return elementKernel({
    name,
    inputs: [{ name: 'X' }],
    outputs: [{ name: 'Y' }],
    total: sizeOf(shape),
    header,
    body: `  let x = X[i];\n  Y[i] = ${expr};`,
  });
}

/** `expr` uses `a` and `b`; inputs broadcast to `outShape`. */
export function binaryKernel(
  name: string,
  outShape: readonly number[],
  aShape: readonly number[],
  bShape: readonly number[],
  expr: string,
  header = '',
): KernelSpec {
  return naryKernel(name, outShape, [aShape, bShape], ['a', 'b'], expr, header);
}

/** `expr` uses `a`, `b` and `c`; inputs broadcast to `outShape`. */
export function ternaryKernel(
  name: string,
  outShape: readonly number[],
  shapes: readonly [readonly number[], readonly number[], readonly number[]],
  expr: string,
  header = '',
): KernelSpec {
  return naryKernel(name, outShape, shapes, ['a', 'b', 'c'], expr, header);
}

function naryKernel(
  name: string,
  outShape: readonly number[],
  shapes: readonly (readonly number[])[],
  vars: readonly string[],
  expr: string,
  header: string,
): KernelSpec {
  const inputs = vars.map((v) => ({ name: v.toUpperCase() }));
  const loads = vars.map((v, k) => `  let ${v} = ${v.toUpperCase()}[${broadcastIndex('i', outShape, shapes[k])}];`);
  return elementKernel({
    name,
    inputs,
    outputs: [{ name: 'Y' }],
    total: sizeOf(outShape),
    header,
    body: `${loads.join('\n')}\n  Y[i] = ${expr};`,
  });
}
