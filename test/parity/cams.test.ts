/** CAM parity as vitest cases: every method × layer of every reference model. */
import { describe, expect, it } from 'vitest';
import { acquireDevice, Runtime } from '@camanim/core';
import { camTol, checkCams, listCamFixtures } from './cams.ts';

let runtime: Runtime | undefined;

describe('CAMs match independent PyTorch references', () => {
  for (const f of listCamFixtures()) {
    it(f.model, async () => {
      runtime ??= new Runtime(await acquireDevice());
      const checks = await checkCams(f, runtime);
      expect(checks.length).toBeGreaterThan(10);
      for (const c of checks) expect(c.error, c.check).toBeLessThanOrEqual(camTol(c.method));
    }, 600_000);
  }
});
