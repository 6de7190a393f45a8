/**
 * No import cycles inside a package (tools/import-cycles.ts: every relative import, `import type`
 * included, resolved by TypeScript), in every package: CHECKED_PACKAGES there.
 */
import { expect, it } from 'vitest';
import { CHECKED_PACKAGES, cyclesOf, importCycles } from '../../tools/import-cycles.ts';

/**
 * Cycles waiting on their module's owner, by the exact line the check prints, one reason each.
 * An entry whose cycle is gone fails the test below, so the list only shrinks.
 */
const PENDING: Readonly<Record<string, string>> = {};

it(`finds no import cycles in ${CHECKED_PACKAGES.join(', ')}`, () => {
  const cycles = importCycles();
  expect(cycles.filter((c) => !(c in PENDING))).toEqual([]);
  expect(
    Object.keys(PENDING).filter((c) => !cycles.includes(c)),
    'PENDING entries whose cycle is gone: delete them',
  ).toEqual([]);
});

it('reports a two-file cycle, a self-import and nothing for a file that only points into a cycle', () => {
  const graph = new Map([
    ['a', ['b']],
    ['b', ['c', 'a']],
    ['c', ['a']],
    ['d', ['d']],
    ['e', ['a']],
  ]);
  expect(cyclesOf(graph).map((c) => ({ ...c, files: c.files.sort() }))).toEqual([
    { files: ['a', 'b', 'c'], path: ['a', 'b', 'a'] },
    { files: ['d'], path: ['d', 'd'] },
  ]);
});
