/**
 * What the register-tile heuristics (matmul-tile.ts) optimise for. A software adapter
 * (SwiftShader: a few CPU cores, per-lane gathers, barriers as coroutine switches) runs fastest
 * with few invocations that each own hundreds of accumulators; a GPU needs tens of thousands
 * of invocations in full warps, each with few enough accumulators to stay in registers.
 * Measured on an H200 with the 'cpu' profile: ResNet-50's forward took ~95 ms of GPU time
 * (its late layers launched a few dozen invocations of 512 accumulators each).
 *
 * The profile is an argument of every tiled kernel builder, never module state: core's Runtime
 * picks it for its adapter (`CAMANIM_KERNEL_PROFILE=cpu|gpu` overrides) and the planner hands it
 * to each op, so runtimes on different kinds of adapter can share one process.
 */
export interface TileProfile {
  readonly name: 'cpu' | 'gpu';
  /** Fewer tiles than this leave the adapter's cores idle. */
  readonly minTiles: number;
  /** Most accumulators (f32 outputs) one invocation may own. */
  readonly maxAccumulators: number;
  /** Cost of one loaded scalar in multiply-adds. */
  readonly load: number;
  /** Fixed cost per reduction step in multiply-adds. */
  readonly step: number;
  /** Invocations per workgroup for `total` tiles. */
  workgroupSize(total: number): number;
  /** How much unrolled code a kernel may have: its compile time against its run time (matmul-tile.ts' cheapestTile). */
  readonly unroll: UnrollBudget;
}

/**
 * A launch may unroll one product of its reduction step per `workPerProduct` multiply-adds it
 * performs in all, and at most `maxProducts`: small problems get small kernels, big layers the
 * big tiles they run fastest, as far as the compile time pays for itself over the runs.
 */
export interface UnrollBudget {
  readonly workPerProduct: number;
  readonly maxProducts: number;
  /** At most this many accumulators an invocation, below the profile's own limit. */
  readonly maxAccumulators: number;
}

/**
 * Tiles for throughput: a model run many times in one process (the bench, `camanim eval`,
 * ROAD's perturbed forwards). SwiftShader compiles about 0.5 ms of CPU per unrolled product,
 * once per pipeline.
 */
const THROUGHPUT_UNROLL: UnrollBudget = { workPerProduct: 10000, maxProducts: 4800, maxAccumulators: Infinity };

/**
 * Tiles for a cold start, a model run once or twice in a new process (`camanim explain`): on
 * SwiftShader ResNet-50's 3×3 64→64 layer compiled in 2.6 s of CPU at 8×8×8 (4608 products)
 * and 0.41 s at 2×4×8 (576), and ran 44 and 63 ms a core: the compile time of the big tile
 * pays off after ~60 runs. Accumulators cost more to compile than products: its 1×1 stride-2
 * layers took 0.6 s each at 4×7×16 (448 of both), its 3×3 ones 0.13 s at 4×4×4 (576
 * products, 64 accumulators). Compiled one after the other, the 447 pipelines of a ResNet-50
 * explain took 13.1 s without a cap, 7.4 s at 64 accumulators and 4.9 s at 32; at 32 its warm
 * forward and backward + CAMs run 2.2 and 2.5 s against 1.3 and 1.7 s with throughput tiles
 * (test/bench/results/swiftshader.md, "Cold start after fewer, smaller pipelines"). Results are
 * the same bit for bit: each output's
 * sum runs in the same order whatever the tile (per channel, per row of taps; per k-step of 4
 * in a GEMM).
 */
const STARTUP_UNROLL: UnrollBudget = { workPerProduct: 100000, maxProducts: 576, maxAccumulators: 32 };

/** The profile with its unroll budget for `use`: 'startup' (few runs per process) or 'throughput'. */
export function withUnroll(profile: TileProfile, use: 'startup' | 'throughput'): TileProfile {
  const unroll = use === 'startup' ? STARTUP_UNROLL : THROUGHPUT_UNROLL;
  return { ...profile, maxAccumulators: Math.min(profile.maxAccumulators, unroll.maxAccumulators), unroll };
}

/**
 * SwiftShader, fitted to measured GEMMs and convolutions: every loaded scalar costs about 7
 * multiply-adds (a per-lane gather); small workgroups balance whole groups over 2 cores
 * (13 groups of 64 idle one core for 1/13 of the time, 49 groups of 16 for 1/49); up to 512
 * accumulators (ResNet-50's 3×3 layers ran ~15% faster at 8×8×8 than at 4×8×8 despite spills).
 */
export const CPU_TILES: TileProfile = {
  name: 'cpu',
  minTiles: 8,
  maxAccumulators: 512,
  load: 7,
  step: 8,
  workgroupSize: (total) => (total >= 512 ? 16 : total >= 128 ? 8 : 4),
  unroll: THROUGHPUT_UNROLL,
};

/**
 * A discrete GPU: ~130 SMs × 2048 resident threads, so ~32k tiles before a bigger tile pays
 * off; 32 accumulators keep an invocation within its registers; loads mostly hit L1/L2
 * (neighbouring invocations read neighbouring rows), so they cost little; workgroups of 64
 * are two full warps (32 on AMD: one wave64 or two wave32).
 */
export const GPU_TILES: TileProfile = {
  name: 'gpu',
  minTiles: 32768,
  maxAccumulators: 32,
  load: 1,
  step: 4,
  workgroupSize: () => 64,
  unroll: THROUGHPUT_UNROLL,
};
