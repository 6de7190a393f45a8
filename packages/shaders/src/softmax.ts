/**
 * Softmax / LogSoftmax as a row kernel on the reduce family (one invocation per row, passes over
 * the row inside it), its VJP kernel beside it.
 */
import { f32Lit, type KernelSpec } from './kernel.ts';
import { reduceKernel } from './reduce.ts';

const NEG_MAX = f32Lit(-Infinity);

/** Softmax (or its log) over the reduced `axes` of `shape`, max-shifted for range. */
export function softmaxKernel(shape: readonly number[], axes: readonly number[], log: boolean): KernelSpec {
  const write = log ? '    Y[off] = X[off] - m - ls;' : '    Y[off] = exp(X[off] - m) * inv;';
  return reduceKernel({
    name: `${log ? 'log_softmax' : 'softmax'}[${shape.join('x')} over ${axes.join(',')}]`,
    shape,
    axes,
    inputs: [{ name: 'X' }],
    outputs: [{ name: 'Y' }],
    body: (each) => `  var m = ${NEG_MAX};
  ${each('    m = max(m, X[off]);')}
  var s = 0.0;
  ${each('    s += exp(X[off] - m);')}
  let ls = log(s);
  let inv = 1.0 / s;
  ${each(write)}`,
  });
}

/**
 * From the output y and its gradient g: softmax dx = y (g − Σ g y); log-softmax
 * dx = g − exp(y) Σ g.
 */
export function softmaxGradKernel(shape: readonly number[], axes: readonly number[], log: boolean): KernelSpec {
  return reduceKernel({
    name: `${log ? 'log_softmax' : 'softmax'}_grad[${shape.join('x')} over ${axes.join(',')}]`,
    shape,
    axes,
    inputs: [{ name: 'Y' }, { name: 'G' }],
    outputs: [{ name: 'DX' }],
    body: (each) =>
      log
        ? `  var s = 0.0;\n  ${each('    s += G[off];')}\n  ${each('    DX[off] = G[off] - exp(Y[off]) * s;')}`
        : `  var s = 0.0;\n  ${each('    s += G[off] * Y[off];')}\n  ${each('    DX[off] = Y[off] * (G[off] - s);')}`,
  });
}
