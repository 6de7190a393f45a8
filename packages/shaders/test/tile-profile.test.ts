import { describe, expect, it } from 'vitest';
import { CPU_TILES, gemmKernel, gemmTile, GPU_TILES, windowTile } from '../src/index.ts';
import { tileLaunch } from '../src/matmul-tile.ts';

/** ResNet-50's 3×3 convolution of stage 2: 128 → 128 channels on a 28×28 grid. */
const conv3x3 = {
  batch: 1,
  groups: 1,
  co: 128,
  cr: 128,
  grid: [28, 28] as [number, number],
  inH: 28,
  inW: 28,
  iStride: [1, 1] as [number, number],
  taps: [-1, 0, 1].flatMap((dy) => [-1, 0, 1].map((dx) => ({ dy, dx }))),
};

describe('tile profiles', () => {
  it('a GPU gets small tiles, many of them, in full warps', () => {
    // ResNet-50's last 1×1 layer: 2048 × 49 outputs over 512
    const [tm, tn] = gemmTile(GPU_TILES, 2048, 49, 512);
    expect(tm * tn).toBeLessThanOrEqual(GPU_TILES.maxAccumulators);
    expect(Math.ceil(2048 / tm) * Math.ceil(49 / tn)).toBeGreaterThanOrEqual(2048);
    const w = windowTile({ ...conv3x3, profile: GPU_TILES } as never);
    expect(w.h * w.w * w.c).toBeLessThanOrEqual(GPU_TILES.maxAccumulators);
    expect(tileLaunch(GPU_TILES, 100_000).workgroupSize).toBe(64);
  });

  it('SwiftShader keeps its large tiles and small workgroups', () => {
    const [tm, tn] = gemmTile(CPU_TILES, 2048, 49, 512);
    expect(tm * tn).toBeGreaterThan(GPU_TILES.maxAccumulators);
    const w = windowTile({ ...conv3x3, profile: CPU_TILES } as never);
    expect(w.h * w.w * w.c).toBeGreaterThan(GPU_TILES.maxAccumulators);
    expect(tileLaunch(CPU_TILES, 100_000).workgroupSize).toBe(16);
  });

  it('kernels of one shape built for the two profiles differ, each with its own workgroup size', () => {
    const spec = (profile: typeof CPU_TILES) => ({
      name: 'fc',
      m: 2048,
      n: 49,
      k: 512,
      a: { buffer: 'A', rowStride: 512, colStride: 1 },
      b: { buffer: 'B', rowStride: 1, colStride: 512 },
      out: { rowStride: 49, colStride: 1 },
      tile: gemmTile(profile, 2048, 49, 512),
      profile,
    });
    const [cpu, gpu] = [gemmKernel(spec(CPU_TILES)), gemmKernel(spec(GPU_TILES))];
    expect(cpu.wgsl).not.toBe(gpu.wgsl);
    expect(gpu.wgsl).toContain('@workgroup_size(64,');
    expect(cpu.wgsl).not.toContain('@workgroup_size(64,');
  });
});
