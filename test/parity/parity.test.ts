/** Whole-model parity as vitest cases: one test per model. */
import { describe, expect, it } from 'vitest';
import { acquireDevice, Runtime } from '@camanim/core';
import { checkModel } from './check.ts';
import { listFixtures } from './fixtures.ts';

let runtime: Runtime | undefined;

describe('whole-model parity (onnxruntime forward, PyTorch gradients)', () => {
  for (const f of listFixtures()) {
    it(f.name, async () => {
      runtime ??= new Runtime(await acquireDevice());
      for (const r of await checkModel(f, runtime)) expect(r.error, r.check).toBeLessThanOrEqual(r.tol);
    }, 300_000);
  }
});
