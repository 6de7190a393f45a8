/**
 * The tree is formatted and lint-clean by Biome (biome.json at the root, the same check as
 * `pnpm lint`): a change that is not formatted fails here with the files Biome names.
 * Fix with `pnpm format`.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

const BIOME = join(REPO, 'node_modules', '.bin', 'biome');

function biome(args: string[], input?: string) {
  const r = spawnSync(BIOME, [...args, '--colors=off'], { cwd: REPO, encoding: 'utf8', input, timeout: 120_000 });
  if (r.error) throw new Error(`could not run ${BIOME}: ${r.error.message}. Run pnpm install at the repository root`);
  return r;
}

it('biome ci passes on the whole tree (format and lint)', () => {
  const r = biome(['ci', '.']);
  expect(r.status, `biome ci failed: run pnpm format, then fix what it leaves\n${r.stdout}${r.stderr}`).toBe(0);
});

it('the formatter covers package sources: a misformatted file is rewritten at 130 columns, single quotes', () => {
  const bad = 'export const  x = { a : "b" ,c:[1,2,3] }\n';
  const r = biome(['format', '--stdin-file-path=packages/core/src/example.ts'], bad);
  expect(r.status).toBe(0);
  expect(r.stdout).toBe("export const x = { a: 'b', c: [1, 2, 3] };\n");
});
