/**
 * MPRT (cascading, top down) at every layer of the bundled fashion-canvas model: SSIM and Spearman
 * per step and layer against tools/metrics_reference.py (the same randomised weights, Grad-CAM by
 * torch.autograd in float64, Quantus's ssim / correlation_spearman); a control where randomising the
 * weights a layer depends on must change that layer's map; Random-CAM, whose map ignores everything
 * after its layer, as the baseline that passes nothing (similarity exactly 1 until the cascade
 * reaches the layer).
 */
import { describe, expect, it } from 'vitest';
import type { Run } from '@camanim/core';
import { computeCams, mprt, parameterNodes, ssim, type MprtResult } from '../src/index.ts';
import { layerMaps } from '../src/metrics/confidence.ts';
import { fashionRun, metricsFixture } from './metrics-fixture.ts';

const { fx, cams } = metricsFixture();
let run: Run | undefined;
const setup = async () => (run ??= await fashionRun(fx, cams));
const layers = fx.layers.map((l) => l.onnx);

/** The cascade, and the randomised maps it hands out per layer (onDownstreamMap) with the originals. */
async function cascade(method: string): Promise<MprtResult & { kept: Map<number, Float32Array>; originals: Float32Array[] }> {
  const r = await setup();
  const stack = await computeCams(r, { method, target: { class: fx.class }, layers, seed: 3 });
  const kept = new Map<number, Float32Array>();
  const originals = layerMaps(stack, 0, 'pytorch-grad-cam').map((m) => m.cam);
  const res = await mprt(r, stack, {
    method,
    seed: 3,
    onDownstreamMap: (l, m, original) => {
      expect(kept.has(l), `layer ${l} handed out twice`).toBe(false);
      kept.set(l, m);
      expect(original).toEqual(originals[l]);
    },
  });
  return { ...res, kept, originals };
}

/** The maps handed out are the ones `downstream` measured: one per layer with a step before its weights. */
function checkKept(got: Awaited<ReturnType<typeof cascade>>): void {
  const [, , H, W] = fx.inputShape;
  got.front.forEach((f, l) => {
    expect(got.kept.has(l), layers[l]).toBe(f > 0);
    const m = got.kept.get(l);
    if (m) expect(ssim(got.originals[l], m, H, W), layers[l]).toBe(got.downstream.ssim[l]);
  });
}

function worst(got: readonly (readonly number[])[], want: readonly (readonly number[])[]): number {
  let e = 0;
  got.forEach((row, s) =>
    row.forEach((v, l) => {
      const w = want[s][l] ?? NaN;
      expect(Number.isNaN(v), `step ${s} layer ${l}`).toBe(Number.isNaN(w));
      if (!Number.isNaN(v)) e = Math.max(e, Math.abs(v - w));
    }),
  );
  return e;
}

describe('MPRT', () => {
  it('the cascade is the Conv/Gemm nodes from the output down, as the reference randomises them', async () => {
    const r = await setup();
    expect(
      parameterNodes(r.model)
        .map((p) => p.node)
        .reverse(),
    ).toEqual(fx.mprt.steps);
  });

  it('Grad-CAM: SSIM and Spearman per step and layer equal the reference (measured worst 1.1e-6 and 1.1e-5)', async () => {
    const got = await cascade('gradcam');
    const eSsim = worst(got.ssim, fx.mprt.ssim);
    const eRho = worst(got.spearman, fx.mprt.spearman);
    console.log(`mprt vs reference: ssim ${eSsim.toExponential(2)}, spearman ${eRho.toExponential(2)}`);
    expect(eSsim).toBeLessThan(1e-5);
    // Spearman: near-zero pixels on either side of the ReLU in float32 vs float64 move a few ranks.
    expect(eRho).toBeLessThan(1e-4);
    // Control: the step that first randomises a node a layer depends on changes that layer's map.
    got.front.forEach((f, l) => {
      expect(f, layers[l]).toBeLessThan(got.steps.length);
      expect(got.ssim[f][l], layers[l]).toBeLessThan(0.9);
    });
    // Grad-CAM reads the gradient, so randomising only what lies above a layer already changes it.
    got.downstream.ssim.forEach((v, l) => expect(v, layers[l]).toBeLessThan(0.9));
    checkKept(got);
    expect(got.settings).toMatchObject({ method: 'gradcam', randomSeed: 42, order: 'top-down', map: 'pytorch-grad-cam' });
  }, 600_000);

  it('Random-CAM passes nothing: its map is unchanged until the cascade reaches the layer', async () => {
    const got = await cascade('randomcam');
    got.front.forEach((f, l) => {
      expect(f, layers[l]).toBeGreaterThan(0);
      for (let s = 0; s < f; s++) {
        expect(got.ssim[s][l], `${layers[l]} step ${s}`).toBe(1);
        expect(got.spearman[s][l], `${layers[l]} step ${s}`).toBeCloseTo(1, 12);
      }
      expect(got.ssim[f][l], `${layers[l]} at its own weights`).toBeLessThan(0.99);
    });
    got.downstream.ssim.forEach((v) => expect(v).toBe(1));
    checkKept(got);
    // Random-CAM's map ignores what lies after its layer: the randomised map is the original.
    for (const [l, m] of got.kept) expect(Array.from(m), layers[l]).toEqual(Array.from(got.originals[l]));
  }, 600_000);
});
