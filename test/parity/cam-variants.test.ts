/** KPCA-CAM, eigen smoothing and augmentation smoothing against float64 PyTorch references. */
import { describe, expect, it } from 'vitest';
import { acquireDevice, Runtime } from '@camanim/core';
import { CAM_TOL, CAM_VARIANTS, checkCams, listCamFixtures } from './cams.ts';

let runtime: Runtime | undefined;

describe('CAM variants match independent PyTorch references', () => {
  for (const f of listCamFixtures(CAM_VARIANTS)) {
    it(f.model, async () => {
      runtime ??= new Runtime(await acquireDevice());
      const checks = await checkCams(f, runtime);
      expect(new Set(checks.map((c) => c.check.split(' @ ')[0]))).toEqual(new Set(Object.keys(f.variants ?? {})));
      for (const c of checks) expect(c.error, c.check).toBeLessThanOrEqual(CAM_TOL);
    }, 600_000);
  }
});
