/**
 * Element-parallel kernel families parameterised by a one-line WGSL expression. `zipKernel`
 * evaluates `expr` over named variables, each loaded from its own tensor broadcast (numpy
 * rules) to the output shape; `unaryKernel` and `binaryKernel` are its common cases, and VJPs
 * zip the forward values with the incoming gradient the same way (dx = g * f'(x)).
 */
import { broadcastIndex, sizeOf } from './strides.ts';
import { elementKernel, type KernelSpec } from './kernel.ts';

export interface ZipVar {
  /** WGSL name of the loaded element (`x`, `a`, `g` ...); its buffer is `in_<name>`. */
  readonly name: string;
  readonly shape: readonly number[];
}

/** Bindings: one input per variable in the given order, then the output. */
export function zipKernel(
  name: string,
  outShape: readonly number[],
  vars: readonly ZipVar[],
  expr: string,
  header = '',
): KernelSpec {
  const loads = vars.map((v) => `  let ${v.name} = in_${v.name}[${broadcastIndex('i', outShape, v.shape)}];`);
  return elementKernel({
    name,
    inputs: vars.map((v) => ({ name: `in_${v.name}` })),
    outputs: [{ name: 'out' }],
    total: sizeOf(outShape),
    header,
    body: `${loads.join('\n')}\n  out[i] = ${expr};`,
  });
}

/** `expr` uses `x` (the input element); `header` may define helper functions. */
export function unaryKernel(name: string, shape: readonly number[], expr: string, header = ''): KernelSpec {
  return zipKernel(name, shape, [{ name: 'x', shape }], expr, header);
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
  return zipKernel(
    name,
    outShape,
    [
      { name: 'a', shape: aShape },
      { name: 'b', shape: bShape },
    ],
    expr,
    header,
  );
}

/** True when the WGSL expression (or header) reads variable `name`. */
export function usesVar(expr: string, name: string): boolean {
  return new RegExp(`\\b${name}\\b`).test(expr);
}
