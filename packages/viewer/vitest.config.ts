import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

// The browser tests need dist/: the global setup builds it once (vite build), so `pnpm test`
// works from a clean clone.
export default mergeConfig(shared, defineConfig({ test: { globalSetup: ['test/global-setup.ts'], testTimeout: 180_000, hookTimeout: 300_000 } }));
