/** The whole repository type-checks (`pnpm typecheck`): a type error fails CI like a test. */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

it('tsc --noEmit over every package reports no errors', () => {
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json'), '--noEmit'], { encoding: 'utf8', cwd: root });
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
}, 600_000);
