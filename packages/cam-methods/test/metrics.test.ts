/**
 * pytorch-grad-cam's CAM-times-image metrics and RISE's Deletion / Insertion at every layer of the
 * bundled fashion-canvas model, against tools/metrics_reference.py: the libraries' own classes
 * (pytorch-grad-cam's CamMultImageConfidenceChange / DropInConfidence / IncreaseInConfidence, RISE's
 * CausalMetric.single_run and gkern) and float64 reimplementations. The maps are pytorch-grad-cam's
 * (26–82% tied zeros per layer), so the order of tied pixels matters for Deletion / Insertion.
 */
import { describe, expect, it } from 'vitest';
import type { Run } from '@camanim/core';
import { camMult, camMultLayers, causal, causalLayers, computeCams, gkern1d, riseAuc } from '../src/index.ts';
import { fashionRun, metricsFixture, type Curve } from './metrics-fixture.ts';

const { fx, maps, cams } = metricsFixture();
const [, , H, W] = fx.inputShape;
const HW = H * W;
const target = { class: fx.class, kind: 'softmax' as const };
const layerMap = (k: number) => maps.subarray(fx.layers[k].mapOffset, fx.layers[k].mapOffset + HW);
let run: Run | undefined;
const setup = async () => (run ??= await fashionRun(fx, cams));

function curveError(got: readonly { curve: readonly number[]; auc: number }[], want: (k: number) => Curve): number {
  let e = 0;
  got.forEach((g, k) => {
    expect(g.curve.length, fx.layers[k].onnx).toBe(want(k).curve.length);
    g.curve.forEach((v, i) => (e = Math.max(e, Math.abs(v - want(k).curve[i]))));
    e = Math.max(e, Math.abs(g.auc - want(k).auc));
  });
  return e;
}

describe('CamMultImageConfidenceChange, DropInConfidence, IncreaseInConfidence', () => {
  it("equal pytorch-grad-cam's classes at every layer (measured worst 1.2e-7)", async () => {
    const { scores, settings } = await camMult(
      await setup(),
      fx.layers.map((_, k) => layerMap(k)),
      { target },
    );
    let e = 0;
    scores.forEach((s, k) => {
      const lib = fx.layers[k].pgc ?? fx.layers[k].camMult;
      e = Math.max(e, Math.abs(s.change - lib.change), Math.abs(s.drop - lib.drop));
      expect(s.increase, fx.layers[k].onnx).toBe(lib.increase);
      expect(s.dropPercent).toBeCloseTo((100 * s.drop) / settings.baseline, 10);
    });
    console.log(`cam-mult vs pytorch-grad-cam: worst ${e.toExponential(2)}`);
    expect(e).toBeLessThan(1e-6);
    expect(settings.baseline).toBeCloseTo(fx.layers[0].camMult.baseline, 5);
    // The last layer raises the confidence, the others drop it: both branches are exercised.
    expect(scores.map((s) => s.increase)).toEqual(fx.layers.map((l) => l.camMult.increase));
    expect(new Set(scores.map((s) => s.increase)).size).toBe(2);
  }, 240_000);

  it("per layer from a CAM stack: the library's map built from raw (measured worst 3.0e-7)", async () => {
    const r = await setup();
    const stack = await computeCams(r, { method: 'gradcam', target: { class: fx.class }, layers: fx.layers.map((l) => l.onnx) });
    const got = await camMultLayers(r, stack);
    const e = Math.max(...got.series.map((s, k) => Math.abs(s.change - fx.layers[k].camMult.change)));
    console.log(`camMultLayers vs float64: worst ${e.toExponential(2)}`);
    expect(e).toBeLessThan(2e-6);
    expect(got.settings).toMatchObject({ target, map: 'pytorch-grad-cam' });
  }, 240_000);
});

describe('Deletion and Insertion (RISE)', () => {
  it("gkern(11, 5) is RISE's (measured 0: scipy's weights and reflect mode)", () => {
    const k1 = gkern1d(11, 5);
    const kern = Array.from({ length: 121 }, (_, i) => Math.fround(k1[Math.floor(i / 11)] * k1[i % 11]));
    const want = fx.riseGkern ?? fx.gkern;
    expect(Math.max(...kern.map((v, i) => Math.abs(v - want[i])))).toBeLessThan(1e-9);
  });

  it('curves and AUCs at every layer, ties in raster order (measured worst 2.5e-7)', async () => {
    const r = await setup();
    const ms = fx.layers.map((_, k) => layerMap(k));
    const del = await causal(r, 'deletion', ms, { target, step: fx.step });
    const ins = await causal(r, 'insertion', ms, { target, step: fx.step });
    const e = Math.max(
      curveError(del.scores, (k) => fx.layers[k].deletion),
      curveError(ins.scores, (k) => fx.layers[k].insertion),
    );
    console.log(`deletion/insertion vs float64: worst ${e.toExponential(2)}`);
    expect(e).toBeLessThan(2e-6);
    expect(del.settings).toMatchObject({ mode: 'deletion', substrate: 'zeros', step: fx.step, ties: 'raster' });
    expect(ins.settings.substrate).toBe('blur');
    del.scores.forEach((s) => expect(s.auc).toBeCloseTo(riseAuc(s.curve), 12));
  }, 600_000);

  it("RISE's own CausalMetric on the tie-free upsampled maps (measured worst 1.7e-7)", async () => {
    const r = await setup();
    const free = fx.layers.filter((l) => l.rise);
    expect(free.length, 'the fixture holds at least one RISE run (tools/metrics_reference.py --rise)').toBeGreaterThan(0);
    const ups = free.map((l) => cams.subarray(l.upOffset, l.upOffset + HW));
    for (const mode of ['deletion', 'insertion'] as const) {
      const got = await causal(r, mode, ups, { target, step: fx.step });
      const e = curveError(got.scores, (k) => free[k].rise![mode]);
      console.log(`${mode} vs RISE: worst ${e.toExponential(2)}`);
      expect(e).toBeLessThan(2e-6);
    }
  }, 240_000);

  it('the order of tied pixels matters: reversed ties leave the reference (the rule is tested, not luck)', async () => {
    const r = await setup();
    const k = fx.layers.findIndex((l) => l.zeros > 0.5);
    const m = layerMap(k);
    // Break the zeros' tie in reverse raster order: later pixels rank first among them.
    const reversed = Float32Array.from(m, (v, i) => (v === 0 ? -1e-6 * (1 - i / HW) : v));
    const [same, other] = (await causal(r, 'deletion', [m, reversed], { target, step: fx.step })).scores;
    expect(Math.abs(same.auc - fx.layers[k].deletion.auc)).toBeLessThan(1e-5);
    expect(Math.abs(other.auc - fx.layers[k].deletion.auc)).toBeGreaterThan(1e-3);
  }, 240_000);

  it('per layer from a CAM stack, and refusals that name the problem', async () => {
    const r = await setup();
    const stack = await computeCams(r, { method: 'gradcam', target: { class: fx.class }, layers: fx.layers.map((l) => l.onnx) });
    const got = await causalLayers(r, stack, 'deletion', { step: fx.step });
    const e = curveError(got.series, (k) => fx.layers[k].deletion);
    console.log(`causalLayers vs float64: worst ${e.toExponential(2)}`);
    expect(e).toBeLessThan(2e-6); // measured 2.5e-7
    await expect(causal(r, 'deletion', [new Float32Array(10)], { target })).rejects.toThrow(
      /deletion needs each map at the input's resolution \(96x96\)/,
    );
    await expect(causal(r, 'insertion', [layerMap(0)], { target, step: 0 })).rejects.toThrow(
      /insertion step 0 is not a whole number of pixels in 1\.\.9216/,
    );
  }, 240_000);
});
