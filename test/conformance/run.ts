/**
 * `pnpm conformance [--op Conv] [--filter regex]`: runs the ONNX backend node tests for every
 * op in camanim's set and prints passed/failed/skipped per op. The last line is exactly
 * `conformance: N passed, M failed, K skipped`.
 */
import { acquireDevice, isCamanimError, Runtime } from '@camanim/core';
import { listCases, runCase } from './cases.ts';

const args = process.argv.slice(2);
const arg = (flag: string) => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
};
const op = arg('--op');
const filter = arg('--filter');
const verbose = args.includes('--verbose');

const runtime = new Runtime(await acquireDevice({ onNotice: (m) => console.error(m) }));
const { cases, notApplicable, undecodable } = listCases(filter ? new RegExp(filter) : undefined);
const perOp = new Map<string, { passed: number; failed: number; skipped: number }>();
let passed = 0;
let failed = 0;
let skipped = 0;
for (const u of undecodable) {
  failed++;
  console.log(`FAILED  ${u.suite}/${u.name}: model.onnx failed to decode: ${u.error}`);
}
for (const c of cases) {
  if (op && !c.ops.includes(op)) continue;
  let status: 'passed' | 'failed' | 'skipped';
  let detail = '';
  if (c.skip) {
    status = 'skipped';
    detail = c.skip;
  } else {
    try {
      const r = await runCase(c, runtime);
      status = r.ok ? 'passed' : 'failed';
      detail = r.detail;
    } catch (e) {
      status = 'failed';
      detail = isCamanimError(e) ? e.message : String((e as Error).stack ?? e);
    }
  }
  if (status === 'passed') passed++;
  else if (status === 'failed') failed++;
  else skipped++;
  for (const o of c.ops) {
    const s = perOp.get(o) ?? { passed: 0, failed: 0, skipped: 0 };
    s[status]++;
    perOp.set(o, s);
  }
  if (status !== 'passed' || verbose)
    console.log(`${status.toUpperCase().padEnd(7)} ${c.suite}/${c.name}${detail ? `: ${detail}` : ''}`);
}
console.log('\nop                        passed failed skipped');
for (const [name, s] of [...perOp].sort(([a], [b]) => a.localeCompare(b))) {
  console.log(
    `${name.padEnd(25)} ${String(s.passed).padStart(6)} ${String(s.failed).padStart(6)} ${String(s.skipped).padStart(7)}`,
  );
}
console.log(`(${notApplicable} cases use ops outside camanim's set and are not counted)`);
console.log(`conformance: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed ? 1 : 0);
