/**
 * Normalizations as row kernels on the reduce family (one invocation per row, passes over the
 * row inside it): LayerNormalization, and BatchNormalization's per-channel affine form, each
 * with its VJP kernels beside it (softmax is in softmax.ts, group/instance norm in group-norm.ts).
 */
import { elementKernel, f32Lit, type BindingDecl, type KernelSpec } from './kernel.ts';
import { reduceKernel, reducedCount } from './reduce.ts';
import { broadcastIndex, sizeOf } from './strides.ts';

export interface LayerNormShape {
  /** Input shape; the normalized block is the trailing dims from `axis`. */
  readonly shape: readonly number[];
  readonly axis: number;
  readonly epsilon: number;
  /** Scale and bias shapes, broadcastable to shape.slice(axis) and of no higher rank. */
  readonly scale: readonly number[];
  readonly bias?: readonly number[];
}

const normAxes = (l: LayerNormShape) => l.shape.map((_, k) => k).filter((k) => k >= l.axis);
const rowAxes = (l: LayerNormShape) => l.shape.map((_, k) => k).filter((k) => k < l.axis);
const paramAt = (l: LayerNormShape, p: readonly number[], idx: string) => broadcastIndex(idx, l.shape.slice(l.axis), p);

/**
 * WGSL for one row of `count` values of X visited by `each`: its mean `mu` and reciprocal
 * standard deviation `rs` (two passes, the variance about the mean), shared by the norms.
 */
export function rowMeanRstd(each: (s: string) => string, count: number, epsilon: number): string {
  const inv = f32Lit(1 / count);
  return `  var mu = 0.0;
  ${each('    mu += X[off];')}
  mu = mu * ${inv};
  var v = 0.0;
  ${each('    let d = X[off] - mu;\n    v += d * d;')}
  let rs = inverseSqrt(v * ${inv} + ${f32Lit(epsilon)});`;
}

/** WGSL computing `mu` and `rs` (1/sqrt(var + eps), biased variance) of the row, two-pass for accuracy. */
const rowStats = (each: (s: string) => string, l: LayerNormShape) =>
  rowMeanRstd(each, reducedCount(l.shape, normAxes(l)), l.epsilon);

/** Y = (x − mean) / sqrt(var + eps) · scale + bias per row; optionally Mean and InvStdDev per row. */
export function layerNormKernel(l: LayerNormShape, stats: boolean): KernelSpec {
  const inputs: BindingDecl[] = [{ name: 'X' }, { name: 'SCALE' }, ...(l.bias ? [{ name: 'BIAS' }] : [])];
  const outputs: BindingDecl[] = [{ name: 'Y' }, ...(stats ? [{ name: 'MEAN' }, { name: 'INVSTD' }] : [])];
  const bias = l.bias ? ` + BIAS[${paramAt(l, l.bias, 'r')}]` : '';
  return reduceKernel({
    name: `layer_norm[${l.shape.join('x')} axis ${l.axis}]`,
    shape: l.shape,
    axes: normAxes(l),
    inputs,
    outputs,
    body: (each) => `${rowStats(each, l)}
  ${each(`    Y[off] = (X[off] - mu) * rs * SCALE[${paramAt(l, l.scale, 'r')}]${bias};`)}
${stats ? '  MEAN[i] = mu;\n  INVSTD[i] = rs;' : ''}`,
  });
}

/** Mean and 1/std of each row into STATS[2·row], STATS[2·row + 1] (for the parameter gradients). */
export function layerNormStatsKernel(l: LayerNormShape): KernelSpec {
  return reduceKernel({
    name: `layer_norm_stats[${l.shape.join('x')} axis ${l.axis}]`,
    shape: l.shape,
    axes: normAxes(l),
    inputs: [{ name: 'X' }],
    outputs: [{ name: 'STATS' }],
    body: (each) => `${rowStats(each, l)}\n  STATS[2u * i] = mu;\n  STATS[2u * i + 1u] = rs;`,
  });
}

/**
 * dx = rs (ĝ − mean(ĝ) − x̂ mean(ĝ x̂)) with x̂ = (x − mu) rs and ĝ = g · scale: the gradient
 * of normalization through both the mean and the variance.
 */
export function layerNormGradKernel(l: LayerNormShape): KernelSpec {
  const inv = f32Lit(1 / reducedCount(l.shape, normAxes(l)));
  const gh = `G[off] * SCALE[${paramAt(l, l.scale, 'r')}]`;
  return reduceKernel({
    name: `layer_norm_grad[${l.shape.join('x')} axis ${l.axis}]`,
    shape: l.shape,
    axes: normAxes(l),
    inputs: [{ name: 'X' }, { name: 'SCALE' }, { name: 'G' }],
    outputs: [{ name: 'DX' }],
    body: (each) => `${rowStats(each, l)}
  var a = 0.0;
  var b = 0.0;
  ${each(`    let gh = ${gh};\n    a += gh;\n    b += gh * (X[off] - mu) * rs;`)}
  a = a * ${inv};
  b = b * ${inv};
  ${each(`    DX[off] = rs * (${gh} - a - (X[off] - mu) * rs * b);`)}`,
  });
}

/**
 * dScale = Σ_rows g x̂ and dBias = Σ_rows g, written in the normalized block's shape (the
 * engine sums them down to a broadcast parameter's shape). Reads the stats kernel's output.
 */
export function layerNormParamGradKernel(l: LayerNormShape, which: 'scale' | 'bias'): KernelSpec {
  const term = which === 'scale' ? 'G[off] * (X[off] - STATS[2u * r]) * STATS[2u * r + 1u]' : 'G[off]';
  return reduceKernel({
    name: `layer_norm_d${which}[${l.shape.join('x')} axis ${l.axis}]`,
    shape: l.shape,
    axes: rowAxes(l),
    inputs: which === 'scale' ? [{ name: 'X' }, { name: 'STATS' }, { name: 'G' }] : [{ name: 'G' }],
    outputs: [{ name: 'D' }],
    body: (each) => `  var acc = 0.0;\n  ${each(`    acc += ${term};`)}\n  D[i] = acc;`,
  });
}

/** y = A[c] · x (+ B[c]) with c the channel (axis 1): inference BatchNormalization and its dX. */
export function channelAffineKernel(shape: readonly number[], shift: boolean, name = 'channel_affine'): KernelSpec {
  const inner = sizeOf(shape.slice(2));
  return elementKernel({
    name: `${name}[${shape.join('x')}]`,
    inputs: [{ name: 'X' }, { name: 'A' }, ...(shift ? [{ name: 'B' }] : [])],
    outputs: [{ name: 'Y' }],
    total: sizeOf(shape),
    body: `  let c = (i / ${inner}u) % ${shape[1]}u;\n  Y[i] = A[c] * X[i]${shift ? ' + B[c]' : ''};`,
  });
}

/** Σ over every axis but the channel of g · (x − M[c]) · R[c] (dScale) or of g (dBias). */
export function channelGradKernel(shape: readonly number[], which: 'scale' | 'bias'): KernelSpec {
  const axes = shape.map((_, k) => k).filter((k) => k !== 1);
  return reduceKernel({
    name: `batch_norm_d${which}[${shape.join('x')}]`,
    shape,
    axes,
    inputs: which === 'scale' ? [{ name: 'X' }, { name: 'M' }, { name: 'R' }, { name: 'G' }] : [{ name: 'G' }],
    outputs: [{ name: 'D' }],
    body: (each) =>
      `  var acc = 0.0;\n  ${each(`    acc += ${which === 'scale' ? 'G[off] * (X[off] - M[i]) * R[i]' : 'G[off]'};`)}\n  D[i] = acc;`,
  });
}
