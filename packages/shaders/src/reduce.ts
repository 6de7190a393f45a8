/**
 * Reductions: one invocation per output element (the kept coordinates) with the loop over
 * the reduced elements inside it — no workgroup barriers or shared memory, which SwiftShader
 * runs slowly. Runs of adjacent kept or reduced axes are merged first, so a softmax row, a
 * layer-norm block or a spatial plane is one strided loop with dims baked in as constants.
 * `expandKernel` (expand.ts) is the way back: reduced tensors broadcast over the reduced axes.
 */
import { elementKernel, f32Lit, type BindingDecl, type KernelSpec } from './kernel.ts';
import { sizeOf, stridesOf } from './strides.ts';

interface Run {
  size: number;
  stride: number;
  reduced: boolean;
}

/** Runs of adjacent axes of one kind; size-1 axes change no offset and are dropped. */
function runs(shape: readonly number[], axes: readonly number[]): Run[] {
  const strides = stridesOf(shape);
  const out: Run[] = [];
  shape.forEach((d, k) => {
    if (d === 1) return;
    const reduced = axes.includes(k);
    const last = out[out.length - 1];
    if (last && last.reduced === reduced) {
      last.size *= d;
      last.stride = strides[k];
    } else out.push({ size: d, stride: strides[k], reduced });
  });
  return out;
}

export interface ReduceSpec {
  readonly name: string;
  /** Shape of the reduced tensor(s); every binding indexed by `off` has this shape. */
  readonly shape: readonly number[];
  /** Reduced axes, normalized (non-negative). */
  readonly axes: readonly number[];
  readonly inputs: readonly BindingDecl[];
  readonly outputs: readonly BindingDecl[];
  readonly header?: string;
  /**
   * WGSL for output element `i` (indexing the kept dims, row-major). `each(stmts)` emits the
   * loop over its reduced elements, with `off` (the element's offset in `shape`) and `r` (its
   * position in the reduced block, row-major) in scope. It may be called several times.
   */
  readonly body: (each: (stmts: string) => string) => string;
}

/** Number of elements each output element reduces over. */
export function reducedCount(shape: readonly number[], axes: readonly number[]): number {
  return axes.reduce((a, k) => a * shape[k], 1);
}

export function reduceKernel(spec: ReduceSpec): KernelSpec {
  const all = runs(spec.shape, spec.axes);
  const kept = all.filter((r) => !r.reduced);
  const red = all.filter((r) => r.reduced);
  const total = sizeOf(spec.shape) / reducedCount(spec.shape, spec.axes);
  const base = kept.map((g, k) => {
    const inner = kept.slice(k + 1).reduce((a, q) => a * q.size, 1);
    const coord = k === 0 ? `(i / ${inner}u)` : `((i / ${inner}u) % ${g.size}u)`;
    return `${coord} * ${g.stride}u`;
  });
  const each = (stmts: string) => {
    const open = red.map((g, k) => `for (var r${k} = 0u; r${k} < ${g.size}u; r${k}++) {`).join(' ');
    const off = red.map((g, k) => `r${k} * ${g.stride}u`);
    const pos = red.reduce((acc, g, k) => (k === 0 ? 'r0' : `(${acc}) * ${g.size}u + r${k}`), '0u');
    return `${open} {
    let off = base${off.map((t) => ` + ${t}`).join('')};
    let r = ${pos};
${stmts}
  }${red.map(() => ' }').join('')}`;
  };
  return elementKernel({
    name: spec.name,
    inputs: spec.inputs,
    outputs: spec.outputs,
    total,
    header: spec.header,
    body: `  let base = ${base.length ? base.join(' + ') : '0u'};\n${spec.body(each)}`,
  });
}

/** A fold `acc = step(acc, v)` from `init`, written as `result(acc)` to `Y[i]`; `v` is `X[off]`. */
export interface Fold {
  readonly init: string;
  readonly step: string;
  readonly result: (count: number) => string;
}

export const FOLDS = {
  sum: { init: '0.0', step: 'acc + v', result: () => 'acc' },
  mean: { init: '0.0', step: 'acc + v', result: (n: number) => `acc * ${f32Lit(1 / n)}` },
  max: { init: f32Lit(-Infinity), step: 'max(acc, v)', result: () => 'acc' },
} satisfies Record<string, Fold>;

export function foldKernel(name: string, shape: readonly number[], axes: readonly number[], fold: Fold): KernelSpec {
  return reduceKernel({
    name,
    shape,
    axes,
    inputs: [{ name: 'X' }],
    outputs: [{ name: 'Y' }],
    body: (each) => `  var acc = ${fold.init};
  ${each(`    let v = X[off];\n    acc = ${fold.step};`)}
  Y[i] = ${fold.result(reducedCount(shape, axes))};`,
  });
}

/** How many reduced elements equal their maximum `Y[i]` (ties share a max's gradient). */
export function tieCountKernel(shape: readonly number[], axes: readonly number[]): KernelSpec {
  return reduceKernel({
    name: `tie_count[${shape.join('x')} over ${axes.join(',')}]`,
    shape,
    axes,
    inputs: [{ name: 'X' }, { name: 'Y' }],
    outputs: [{ name: 'CNT' }],
    body: (each) => `  let y = Y[i];\n  var n = 0.0;\n  ${each('    n += select(0.0, 1.0, X[off] == y);')}\n  CNT[i] = n;`,
  });
}
