// Sums the vitest JSON reports of every package into the one line CI reads:
// `tests: N passed, M failed`. A package whose report is missing counts as one failure.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dirs = ['packages/shaders', 'packages/core', 'packages/cam-methods', 'packages/cli', 'packages/viewer', 'test'];
// `--with DIR`: one more report to count (CI adds tools/pack-test, the packaging test).
for (let i = process.argv.indexOf('--with'); i > 0 && process.argv[i + 1]; i = process.argv.indexOf('--with', i + 2))
  dirs.push(process.argv[i + 1]);
let passed = 0;
let failed = 0;
for (const dir of dirs) {
  const file = join(root, dir, '.vitest-result.json');
  if (!existsSync(file)) {
    console.error(`${dir}: no test report (the test run crashed or did not start)`);
    failed++;
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed += r.numPassedTests;
  // A failed suite without a failed test is one that could not run (an import or collection
  // error); a suite with failed tests is already counted by them.
  failed += r.numFailedTests || (r.numFailedTestSuites ?? 0);
  console.error(`${dir}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
}
// `--run-failed`: the test command itself exited non-zero (e.g. vitest's unhandled errors,
// which its JSON report does not count); that is at least one failure.
if (process.argv.includes('--run-failed') && failed === 0) {
  console.error('the test run failed outside any counted test (see its log)');
  failed = 1;
}
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
