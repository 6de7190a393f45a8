/**
 * The way back from a reduction: reduced (keepdims) tensors broadcast over the reduced axes
 * and combined with full ones in one expression per element — the VJPs of reductions, pools
 * and normalizations.
 */
import { elementKernel, type KernelSpec } from './kernel.ts';
import { broadcastIndex, sizeOf } from './strides.ts';

/** An operand of `expandKernel`: `full` ones have `shape`, the others its reduced (keepdims) shape. */
export interface ExpandInput {
  readonly name: string;
  readonly full: boolean;
}

/**
 * One invocation per element of `shape`: `Y[i] = expr`, where each input is loaded into a
 * variable of its lowercased name, reduced inputs read at the element's output position.
 */
export function expandKernel(
  name: string,
  shape: readonly number[],
  axes: readonly number[],
  inputs: readonly ExpandInput[],
  expr: string,
): KernelSpec {
  const keep = shape.map((d, k) => (axes.includes(k) ? 1 : d));
  const loads = inputs.map(
    (x) => `  let ${x.name.toLowerCase()} = ${x.name}[${x.full ? 'i' : broadcastIndex('i', shape, keep)}];`,
  );
  return elementKernel({
    name,
    inputs: inputs.map((x) => ({ name: x.name })),
    outputs: [{ name: 'DX' }],
    total: sizeOf(shape),
    body: `${loads.join('\n')}\n  DX[i] = ${expr};`,
  });
}
