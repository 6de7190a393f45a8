/**
 * Element-parallel kernel families parameterised by a one-line WGSL expression. `zipKernel`
 * evaluates `expr` over named variables, each loaded from its own tensor broadcast (numpy
 * rules) to the output shape; `unaryKernel` and `binaryKernel` are its common cases, and VJPs
 * zip the forward values with the incoming gradient the same way (dx = g * f'(x)).
 */
import { broadcastIndex, sizeOf } from './strides.ts';
import { elementKernel, type KernelSpec } from './kernel.ts';
import { LANE } from './matmul-tile.ts';

export interface ZipVar {
  /** WGSL name of the loaded element (`x`, `a`, `g` ...); its buffer is `in_<name>`. */
  readonly name: string;
  readonly shape: readonly number[];
}

/**
 * Bindings: one input per variable in the given order, then the output. Where the output has a
 * multiple of 4 elements (and `expr` does not read the index `i`), an invocation computes four:
 * variables of the output's shape load as one vec4, broadcast ones per element, and `expr`
 * runs once per element on scalars, so the values are the same bit for bit (on SwiftShader an
 * invocation's own cost exceeds one element's: Relu's VJP over ResNet-50's tensors ran ~2× faster).
 */
export function zipKernel(
  name: string,
  outShape: readonly number[],
  vars: readonly ZipVar[],
  expr: string,
  header = '',
): KernelSpec {
  const total = sizeOf(outShape);
  if (total % 4 === 0 && !usesVar(expr, 'i') && !usesVar(header, 'i')) return zipQuads(name, outShape, vars, expr, header);
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

/** zipKernel four elements an invocation (total a multiple of 4). */
function zipQuads(name: string, outShape: readonly number[], vars: readonly ZipVar[], expr: string, header: string): KernelSpec {
  const whole = (v: ZipVar) => broadcastIndex('i', outShape, v.shape) === 'i';
  const element = (k: number) => {
    const loads = vars.map((v) =>
      whole(v)
        ? `let ${v.name} = zq_${v.name}.${LANE[k]};`
        : `let ${v.name} = in_${v.name}[${broadcastIndex('ze_', outShape, v.shape)}];`,
    );
    return `  {
    let ze_ = i * 4u + ${k}u;
    ${loads.join('\n    ')}
    zr_.${LANE[k]} = ${expr};
  }`;
  };
  return elementKernel({
    name,
    inputs: vars.map((v) => ({ name: `in_${v.name}`, type: whole(v) ? 'vec4<f32>' : 'f32' })),
    outputs: [{ name: 'out', type: 'vec4<f32>' }],
    total: sizeOf(outShape) / 4,
    header,
    body: [
      ...vars.filter(whole).map((v) => `  let zq_${v.name} = in_${v.name}[i];`),
      '  var zr_ = vec4<f32>();',
      ...LANE.map((_, k) => element(k)),
      '  out[i] = zr_;',
    ].join('\n'),
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
