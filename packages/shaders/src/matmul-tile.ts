/**
 * Register tiles shared by the GEMM and convolution kernels. SwiftShader runs 4 invocations
 * as the lanes of one SIMD routine and turns every storage load with a computed index into a
 * per-lane gather, while it runs workgroup barriers as coroutine switches. So each invocation
 * owns a tile of outputs in registers (vec4 accumulators over 4 output columns), every
 * loaded value feeds several multiply-adds, and nothing is shared through workgroup memory.
 * How big the tiles get and how many invocations a workgroup has follow the adapter's
 * profile (tile-profile.ts): large on SwiftShader, small and many on a GPU.
 */
import { foldDispatch, MAX_GROUPS_PER_DIM } from './kernel.ts';
import type { TileProfile } from './tile-profile.ts';

export const LANE = ['x', 'y', 'z', 'w'] as const;

/** Ceil division. */
export const cdiv = (a: number, b: number): number => Math.ceil(a / b);

/** Rounds `a` up to a multiple of `b`. */
export const roundUp = (a: number, b: number): number => cdiv(a, b) * b;

export interface TileLaunch {
  readonly workgroupSize: number;
  readonly dispatch: readonly [number, number, number];
  /** WGSL defining `t`, the invocation's linear index, returning past `total`. */
  readonly prelude: string;
}

/** One invocation per tile (nothing is shared between invocations), the profile's workgroups. */
export function tileLaunch(profile: TileProfile, total: number): TileLaunch {
  const workgroupSize = profile.workgroupSize(total);
  const groups = cdiv(total, workgroupSize);
  const dispatch = foldDispatch(groups);
  const folded = groups > MAX_GROUPS_PER_DIM;
  return {
    workgroupSize,
    dispatch,
    prelude: `  let t = ${folded ? '(wid.x + wid.y * nwg.x)' : 'wid.x'} * ${workgroupSize}u + lid.x;
  if (t >= ${total}u) { return; }`,
  };
}

/**
 * Splits `t` into tile coordinates, fastest first: `[name, count]` pairs become
 * `let name = ...;` (a count of 1 yields a constant 0).
 */
export function splitIndex(t: string, dims: readonly (readonly [string, number])[]): string {
  const lines: string[] = [];
  let rest = t;
  dims.forEach(([name, count], k) => {
    const last = k === dims.length - 1;
    if (count === 1) lines.push(`  let ${name} = 0u;`);
    else lines.push(`  let ${name} = ${last ? rest : `${rest} % ${count}u`};`);
    if (!last && count !== 1) {
      lines.push(`  let ${name}_q = ${rest} / ${count}u;`);
      rest = `${name}_q`;
    }
  });
  return lines.join('\n');
}

/** `var acc{r}_{c} = vec4<f32>();` (or f32 when `width` is 1) for an rows × cols tile. */
export function declareAcc(rows: number, cols: number, width: 1 | 4 = 4): string {
  const type = width === 4 ? 'vec4<f32>' : 'f32';
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) lines.push(`  var acc${r}_${c} = ${type}();`);
  return lines.join('\n');
}

/**
 * One accumulator update `acc += s0 * v0 + s1 * v1 + ...`: several products per update keep
 * the accumulator's spill traffic (SwiftShader has 16 SIMD registers) per product low.
 */
export function fma(acc: string, terms: readonly (readonly [string, string])[]): string {
  return `    ${acc} += ${terms.map(([s, v]) => `${s} * ${v}`).join(' + ')};`;
}

/** WGSL literal of an unsigned constant. */
export const u = (n: number): string => `${n}u`;

/** A candidate tile: its shape, scalar loads and multiply-adds per reduction step. */
export type Candidate<T> = readonly [tile: T, loads: number, products: number];

/**
 * The tile among `candidates` with the least modeled time over `count(tile)` tiles (per
 * reduction step, a tile costs the profile's `load` multiply-adds per loaded scalar, its
 * products and a fixed `step`; fewer than `minTiles` tiles leave cores idle), counting padded
 * work, among those whose unrolled step fits the profile's compile budget for `work` multiply-adds
 * (`unroll`; the smallest step when none does).
 */
export function cheapestTile<T>(
  profile: TileProfile,
  candidates: readonly Candidate<T>[],
  count: (t: T) => number,
  work: number,
): T {
  const { minTiles, load, step } = profile;
  const budget = Math.min(profile.unroll.maxProducts, work / profile.unroll.workPerProduct);
  const smallest = Math.min(...candidates.map((c) => c[2]));
  let best = candidates[0][0];
  let bestCost = Infinity;
  for (const [tile, loads, products] of candidates) {
    if (products > Math.max(budget, smallest)) continue;
    const cost = Math.max(count(tile), minTiles) * (load * loads + products + step);
    if (cost < bestCost) [best, bestCost] = [tile, cost];
  }
  return best;
}

/**
 * GEMM tile [rows, cols] for a batch of M×N outputs over K (cols a multiple of 4), up to the
 * profile's accumulators (on SwiftShader, ResNet-50's 1×1 layers ran 16×32 and 32×16 ~15%
 * faster than 16×16 despite the spills; 32×32 no longer was).
 */
export function gemmTile(profile: TileProfile, m: number, n: number, k: number, batch = 1): [number, number] {
  const { maxAccumulators } = profile;
  const candidates: Candidate<[number, number]>[] = [];
  for (const tm of [1, 2, 4, 8, 16, 32]) {
    for (const tn of [4, 8, 16, 32]) if (tm * tn <= maxAccumulators) candidates.push([[tm, tn], 4 * (tm + tn), 4 * tm * tn]);
  }
  return cheapestTile(profile, candidates, ([tm, tn]) => batch * cdiv(m, tm) * cdiv(n, tn), batch * m * n * k);
}
