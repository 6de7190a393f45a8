import { afterEach, describe, expect, it } from 'vitest';
import { CPU_TILES, gemmTile, GPU_TILES, setTileProfile, windowTile } from '../src/index.ts';
import { tileLaunch } from '../src/matmul-tile.ts';

/** ResNet-50's 3×3 convolution of stage 2: 128 → 128 channels on a 28×28 grid. */
const conv3x3 = {
  batch: 1, groups: 1, co: 128, cr: 128, grid: [28, 28] as [number, number], inH: 28, inW: 28, iStride: [1, 1] as [number, number],
  taps: [-1, 0, 1].flatMap((dy) => [-1, 0, 1].map((dx) => ({ dy, dx }))),
};

describe('tile profiles', () => {
  afterEach(() => setTileProfile(CPU_TILES));

  it('a GPU gets small tiles, many of them, in full warps', () => {
    setTileProfile(GPU_TILES);
    // ResNet-50's last 1×1 layer: 2048 × 49 outputs over 512
    const [tm, tn] = gemmTile(2048, 49, 512);
    expect(tm * tn).toBeLessThanOrEqual(GPU_TILES.maxAccumulators);
    expect(Math.ceil(2048 / tm) * Math.ceil(49 / tn)).toBeGreaterThanOrEqual(2048);
    const w = windowTile(conv3x3 as never);
    expect(w.h * w.w * w.c).toBeLessThanOrEqual(GPU_TILES.maxAccumulators);
    expect(tileLaunch(100_000).workgroupSize).toBe(64);
  });

  it('SwiftShader keeps its large tiles and small workgroups', () => {
    setTileProfile(CPU_TILES);
    const [tm, tn] = gemmTile(2048, 49, 512);
    expect(tm * tn).toBeGreaterThan(GPU_TILES.maxAccumulators);
    const w = windowTile(conv3x3 as never);
    expect(w.h * w.w * w.c).toBeGreaterThan(GPU_TILES.maxAccumulators);
    expect(tileLaunch(100_000).workgroupSize).toBe(16);
  });
});
