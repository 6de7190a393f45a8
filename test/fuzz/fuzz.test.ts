/**
 * CI slice of the fuzzer: a fixed seed for a fixed number of cases, then every committed
 * regression case in test/fuzz/regressions/. Each must load and run cleanly or fail with a
 * CamanimError; a crash, hang, heap abort or any other exception fails the test. Cases run in
 * a child process (see harness.ts), so one that kills the process only fails its own case.
 * `pnpm fuzz` runs longer campaigns.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatSummary, fuzz, listSaved, replay, type Summary } from './harness.ts';

/**
 * Sized to about two minutes on SwiftShader with 2 CPU cores under load (load average 11):
 * 800 cases took 130-147 s, ~100 s of it compiling kernels in the first 200 cases (the bundled
 * model, the torchvision fixtures, Conv variants); later cases take ~0.05 s each.
 * FUZZ_CI_CASES overrides the count.
 */
export const CI_SEED = 20240611;
export const CI_CASES = Number(process.env.FUZZ_CI_CASES ?? 800);

function failures(s: Summary): string {
  return s.records
    .filter((r) => r.failure)
    .map(
      (r) =>
        `${r.label} [${r.failure!.kind}] ${r.source}${r.saved ? ` (saved ${r.saved})` : ''}\n  ${r.mutations.join('\n  ')}\n  ${r.failure!.detail.split('\n').slice(0, 6).join('\n  ')}`,
    )
    .join('\n');
}

describe('fuzzing the ONNX loader, runner and backward pass', () => {
  it(
    `seed ${CI_SEED}: ${CI_CASES} mutated models load, run and backpropagate, or fail with a CamanimError`,
    async () => {
      const saveDir = mkdtempSync(join(tmpdir(), 'camanim-fuzz-failures-'));
      const summary = await fuzz({ seed: CI_SEED, cases: CI_CASES, saveDir, timeoutMs: 120_000 });
      console.log(formatSummary(summary));
      expect(summary.records).toHaveLength(CI_CASES);
      expect(failures(summary)).toBe('');
    },
    15 * 60_000,
  );

  it(
    'every committed regression case now passes',
    async () => {
      const paths = listSaved();
      const summary = await replay(paths, { timeoutMs: 120_000 });
      console.log(formatSummary(summary));
      expect(summary.records).toHaveLength(paths.length);
      expect(failures(summary)).toBe('');
    },
    10 * 60_000,
  );
});
