/** KPCA-CAM, eigen smoothing and augmentation smoothing against float64 PyTorch references. */
import { describe, expect, it } from 'vitest';
import { acquireDevice, Runtime } from '@camanim/core';
import { CAM_VARIANTS, checkCams, listCamFixtures } from './cams.ts';

/** Worst error measured over every variant, model and layer: 1.2e-5 (cams.ts's camTol: 2e-5 for most methods). */
const TOL = 1e-4;

let runtime: Runtime | undefined;

describe('CAM variants match independent PyTorch references', () => {
  for (const f of listCamFixtures(CAM_VARIANTS)) {
    it(f.model, async () => {
      runtime ??= new Runtime(await acquireDevice());
      const checks = await checkCams(f, runtime);
      expect(new Set(checks.map((c) => c.check.split(' @ ')[0]))).toEqual(new Set(Object.keys(f.variants ?? {})));
      for (const c of checks) expect(c.error, c.check).toBeLessThanOrEqual(TOL);
    }, 600_000);
  }
});
