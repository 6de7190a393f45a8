import { defineConfig } from 'vitest/config';

// The packaging test (pnpm test:pack): its own project, run by .ci/run after pnpm test.
export default defineConfig({
  test: { include: ['*.test.mjs'], pool: 'forks', fileParallelism: false, testTimeout: 300_000, hookTimeout: 600_000 },
});
