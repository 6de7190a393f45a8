/**
 * Group normalization on the reduce family: X viewed as [n, groups, cpg, spatial], each
 * (image, group) row normalized by its own mean and biased variance, then scaled and shifted per
 * channel (or per group: GroupNormalization-18's [num_groups] parameters). InstanceNormalization
 * is the case groups = channels. Forward, the input gradient and the parameter gradients.
 */
import { f32Lit, type KernelSpec } from './kernel.ts';
import { rowMeanRstd } from './norm.ts';
import { reduceKernel } from './reduce.ts';

export interface GroupNormShape {
  readonly n: number;
  readonly groups: number;
  /** Channels per group. */
  readonly cpg: number;
  /** Elements per channel (the product of the spatial dims). */
  readonly spatial: number;
  readonly epsilon: number;
  /** Scale and bias hold one value per channel, or one per group. */
  readonly param: 'channel' | 'group';
}

const view = (s: GroupNormShape) => [s.n, s.groups, s.cpg, s.spatial];
const label = (s: GroupNormShape) => `${view(s).join('x')}${s.param === 'group' ? ' per group' : ''}`;
/** Index of the parameter of reduced element `r` of row `i`. */
const paramAt = (s: GroupNormShape) =>
  s.param === 'group' ? `(i % ${s.groups}u)` : `((i % ${s.groups}u) * ${s.cpg}u + r / ${s.spatial}u)`;

/** WGSL computing `mu` and `rs` = 1/sqrt(var + eps) of row `i`, two-pass for accuracy. */
const rowStats = (each: (s: string) => string, s: GroupNormShape) => rowMeanRstd(each, s.cpg * s.spatial, s.epsilon);

const rows = (
  s: GroupNormShape,
  name: string,
  inputs: string[],
  outputs: string[],
  body: (each: (x: string) => string) => string,
): KernelSpec =>
  reduceKernel({
    name: `${name}[${label(s)}]`,
    shape: view(s),
    axes: [2, 3],
    inputs: inputs.map((n) => ({ name: n })),
    outputs: outputs.map((n) => ({ name: n })),
    body,
  });

/** Y = (x − mean) · rs · SCALE + BIAS. */
export function groupNormKernel(s: GroupNormShape): KernelSpec {
  return rows(
    s,
    'group_norm',
    ['X', 'SCALE', 'BIAS'],
    ['Y'],
    (each) => `${rowStats(each, s)}
  ${each(`    let p = ${paramAt(s)};\n    Y[off] = (X[off] - mu) * rs * SCALE[p] + BIAS[p];`)}`,
  );
}

/** Mean and 1/std of each row into STATS[2·row], STATS[2·row + 1]. */
export function groupNormStatsKernel(s: GroupNormShape): KernelSpec {
  return rows(
    s,
    'group_norm_stats',
    ['X'],
    ['STATS'],
    (each) => `${rowStats(each, s)}\n  STATS[2u * i] = mu;\n  STATS[2u * i + 1u] = rs;`,
  );
}

/** dx = rs (ĝ − mean(ĝ) − x̂ mean(ĝ x̂)) with x̂ = (x − mu) rs and ĝ = g · scale. */
export function groupNormGradKernel(s: GroupNormShape): KernelSpec {
  const inv = f32Lit(1 / (s.cpg * s.spatial));
  const gh = `G[off] * SCALE[${paramAt(s)}]`;
  return rows(
    s,
    'group_norm_grad',
    ['X', 'SCALE', 'G'],
    ['DX'],
    (each) => `${rowStats(each, s)}
  var a = 0.0;
  var b = 0.0;
  ${each(`    let gh = ${gh};\n    a += gh;\n    b += gh * (X[off] - mu) * rs;`)}
  a = a * ${inv};
  b = b * ${inv};
  ${each(`    DX[off] = rs * (${gh} - a - (X[off] - mu) * rs * b);`)}`,
  );
}

/**
 * dScale = Σ g x̂ and dBias = Σ g over images and pixels (and the group's channels, for
 * per-group parameters), the stats from `groupNormStatsKernel`.
 */
export function groupNormParamGradKernel(s: GroupNormShape, which: 'scale' | 'bias'): KernelSpec {
  const row = `(off / ${s.cpg * s.spatial}u)`;
  const term = which === 'scale' ? `G[off] * (X[off] - STATS[2u * ${row}]) * STATS[2u * ${row} + 1u]` : 'G[off]';
  return reduceKernel({
    name: `group_norm_d${which}[${label(s)}]`,
    shape: view(s),
    axes: s.param === 'group' ? [0, 2, 3] : [0, 3],
    inputs: which === 'scale' ? [{ name: 'X' }, { name: 'STATS' }, { name: 'G' }] : [{ name: 'G' }],
    outputs: [{ name: 'D' }],
    body: (each) => `  var acc = 0.0;\n  ${each(`    acc += ${term};`)}\n  D[i] = acc;`,
  });
}
