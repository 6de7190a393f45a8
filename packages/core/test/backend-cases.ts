/**
 * The ONNX backend node tests of test/conformance, including the cases its harness skips for
 * their bool or integer tensors: camanim represents bools as 0/1 and integers exactly (host
 * Float64Array when constant, float32 below 2^24 on the GPU), so comparisons, logic and integer
 * Mod can still be checked against the spec's expected outputs. Float16/float64/unsigned
 * cases stay skipped (their tensors do not decode to the types camanim computes in).
 */
import { expect, it } from 'vitest';
import { listCases, runCase } from '../../../test/conformance/cases.ts';
import { EXCLUDED } from '../../../test/conformance/exclusions.ts';
import { testRuntime } from './gpu.ts';

const exactTypes = /is (bool|int8|int16|int32|int64|uint8);/;

/** One vitest case per backend test whose name matches, asserting it passes. */
export function backendCases(filter: RegExp): void {
  const { cases } = listCases(filter);
  const runnable = cases.filter((c) => !EXCLUDED[c.name] && (!c.skip || exactTypes.test(c.skip)));
  it('finds backend cases', () => expect(runnable.length).toBeGreaterThan(0));
  for (const c of runnable) {
    it(`${c.suite}/${c.name}`, async () => {
      const r = await runCase({ ...c, skip: undefined }, await testRuntime());
      expect(r.detail).toBe('');
      expect(r.ok).toBe(true);
    });
  }
}
