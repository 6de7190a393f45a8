/**
 * FullGrad and ShapleyCAM against the independent float64 PyTorch references of
 * `tools/cam_reference.py --netwide` (tools/cams/netwide.py): every layer of every reference
 * model at layer resolution and upsampled, and FullGrad's whole saliency at the input size.
 * ShapleyCAM uses the ReST target, whose curvature makes H·A non-zero.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireDevice, loadModel, Runtime } from '@camanim/core';
import { fullGradSaliency } from '@camanim/cam-methods';
import { checkCams, listCamFixtures, type CamCheck, type CamFixture } from './cams.ts';
import { FIXTURES, scaledError } from './fixtures.ts';

const NETWIDE = join(FIXTURES, '..', 'cam-netwide');
/** Measured on SwiftShader: ShapleyCAM ≤ 5e-6, FullGrad ≤ 1e-6 of each map's scale. */
const TOL = 1e-4;
let runtime: Runtime | undefined;

async function saliencyCheck(
  f: CamFixture & { fullgradSaliency: { offset: number; length: number } },
  rt: Runtime,
): Promise<CamCheck> {
  const model = await loadModel(join(FIXTURES, '..', '..', '..', f.onnx), { runtime: rt });
  try {
    const run = await model.run({ data: f.bin.slice(f.inputOffset, f.inputOffset + f.inputLength), shape: f.inputShape });
    const got = await fullGradSaliency(run, { class: f.class });
    run.dispose();
    const { offset, length } = f.fullgradSaliency;
    return {
      method: 'fullgrad',
      check: 'fullgrad saliency (input size)',
      error: scaledError(got, f.bin.subarray(offset, offset + length)),
    };
  } finally {
    model.dispose();
  }
}

describe('FullGrad and ShapleyCAM match independent PyTorch references', () => {
  for (const f of listCamFixtures(NETWIDE)) {
    it(f.model, async () => {
      runtime ??= new Runtime(await acquireDevice());
      const checks = [...(await checkCams(f, runtime)), await saliencyCheck(f as Parameters<typeof saliencyCheck>[0], runtime)];
      expect(checks.length).toBe(f.layers.length * 4 + 1);
      for (const c of checks) expect(c.error, c.check).toBeLessThanOrEqual(TOL);
    }, 600_000);
  }
});
