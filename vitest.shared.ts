import { defineConfig } from 'vitest/config';

// Dawn is a native addon: run test files in forked processes, one at a time, since
// SwiftShader already spreads each GPU pass over every core.
export default defineConfig({
  test: {
    pool: 'forks',
    // --expose-gc lets the leak test measure the heap after a collection.
    poolOptions: { forks: { execArgv: ['--expose-gc'] } },
    fileParallelism: false,
    // New GPU buffers start as NaN, so a kernel that skips an element it owns fails loudly.
    env: { CAMANIM_POISON_BUFFERS: '1' },
    testTimeout: 120_000,
    hookTimeout: 120_000,
    include: ['test/**/*.test.ts'],
  },
});
