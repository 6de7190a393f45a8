import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../vitest.shared.ts';

// The checks on full-size models (`pnpm test:full`): minutes each on a software GPU, so outside
// `pnpm test` and CI, whose budget holds the reduced-width models.
export default mergeConfig(shared, defineConfig({ test: { include: ['**/*.full.ts'], exclude: ['node_modules/**'] } }));
