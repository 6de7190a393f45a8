import { defineConfig } from 'vitest/config';

// Dawn is a native addon: run test files in forked processes, one at a time, since
// SwiftShader already spreads each GPU pass over every core.
export default defineConfig({
  test: {
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    include: ['test/**/*.test.ts'],
  },
});
