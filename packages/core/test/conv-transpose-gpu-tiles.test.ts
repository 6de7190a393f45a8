/**
 * The ConvTranspose suite again under the GPU tile profile (≤ 32 accumulators, workgroups of
 * 64), so the window tiles a real GPU gets are compared with onnxruntime too (gpu-tiles.test.ts
 * does the same for Conv, Gemm and MatMul).
 */
import { expect, it } from 'vitest';
import { testRuntime } from './gpu.ts';

process.env.CAMANIM_KERNEL_PROFILE = 'gpu';
await import('./conv-transpose.test.ts');

it('runs that suite under the GPU profile', async () => {
  expect((await testRuntime()).tiles.name).toBe('gpu');
});
