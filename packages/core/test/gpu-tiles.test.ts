/**
 * The kernels' GPU tile profile (few accumulators per invocation, workgroups of 64), checked
 * on this machine's adapter: the convolution (2-D and 3-D), Gemm and MatMul suites run again with
 * CAMANIM_KERNEL_PROFILE=gpu, so the tiles a real GPU gets are compared with the references too.
 */
import { expect, it } from 'vitest';
import { testRuntime } from './gpu.ts';

process.env.CAMANIM_KERNEL_PROFILE = 'gpu';
await import('./conv.test.ts');
await import('./conv3d.test.ts');
await import('./gemm.test.ts');
await import('./matmul.test.ts');

it('runs those suites under the GPU profile', async () => {
  expect((await testRuntime()).tiles.name).toBe('gpu');
});
