/** The ONNX backend node tests as vitest cases: one test per applicable case. */
import { describe, expect, it } from 'vitest';
import { acquireDevice, Runtime } from '@camanim/core';
import { listCases, runCase } from './cases.ts';

const { cases, undecodable } = listCases();
let runtime: Runtime | undefined;

describe('ONNX backend node tests (libonnx-testdata)', () => {
  it('finds the test data (apt-get install libonnx-testdata)', () => {
    expect(cases.length).toBeGreaterThan(50);
  });
  for (const u of undecodable) {
    it(`${u.suite}/${u.name} decodes`, () => {
      expect.fail(`model.onnx failed to decode: ${u.error}`);
    });
  }
  for (const c of cases.filter((x) => !x.skip)) {
    it(`${c.suite}/${c.name}`, async () => {
      runtime ??= new Runtime(await acquireDevice());
      const r = await runCase(c, runtime);
      expect(r.detail).toBe('');
      expect(r.ok).toBe(true);
    });
  }
});
