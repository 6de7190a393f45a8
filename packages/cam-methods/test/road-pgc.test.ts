/**
 * ROAD against pytorch-grad-cam's own numbers (test/fixtures/road/pytorch-grad-cam.json, from
 * tools/road_pgc_reference.py --pgc): ROADMostRelevantFirst / ROADLeastRelevantFirst at 10..90 and
 * ROADCombined, noise 0, on maps with large tied regions (ReLU'd zeros, 7×7 maps upsampled ×4).
 * The exact-count rule is checked against the same script's float64 reimplementation.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadModel, type Run } from '@camanim/core';
import { encodeModel } from '../../core/test/onnx-builder.ts';
import {
  prepareCam,
  pytorchGradCamMap,
  removalMask,
  road,
  ROAD_PRESETS,
  ybroad,
  type CamStack,
  type RoadScore,
} from '../src/index.ts';
import { testRuntime } from './gpu.ts';

interface Scores {
  morf: number[];
  lerf: number[];
  removedMorf: number[];
  removedLerf: number[];
  combined: number[];
  sum: number;
  mean: number;
}
interface Fixture {
  shape: [number, number, number, number];
  percentiles: number[];
  x: number[];
  w: number[];
  cams: {
    name: string;
    h: number;
    w: number;
    raw: number[];
    map: number[];
    threshold: Scores;
    rankRemoved: Scores;
    rankKept: Scores;
    pgc: Scores & { ROADCombined: number };
  }[];
}
const fx = JSON.parse(
  readFileSync(new URL('../../../test/fixtures/road/pytorch-grad-cam.json', import.meta.url), 'utf8'),
) as Fixture;
const [, C, H, W] = fx.shape;
const target = { class: 0, kind: 'softmax' as const };
const pgc = { ...ROAD_PRESETS['pytorch-grad-cam'], noise: 0 };

async function setup(): Promise<Run> {
  const bytes = encodeModel({
    nodes: [
      { op: 'Mul', inputs: ['x', 'w'], outputs: ['a'] },
      { op: 'Relu', inputs: ['a'], outputs: ['r'] },
      { op: 'ReduceSum', inputs: ['r', 'axes'], outputs: ['y'], attrs: { keepdims: 0 } },
    ],
    inputs: [{ name: 'x', dims: ['n', C, H, W] }],
    outputs: ['y'],
    initializers: [
      { name: 'w', dims: [1, C, H, W], data: fx.w },
      { name: 'axes', dims: [2], data: [2, 3] },
    ],
  });
  const model = await loadModel(bytes, { runtime: await testRuntime() });
  return model.run({ data: Float32Array.from(fx.x), shape: [1, C, H, W] });
}

/** Worst |camanim − reference| over every (map, order, p). */
function worst(got: readonly RoadScore[], want: (k: number) => Scores): number {
  let e = 0;
  got.forEach((s, k) =>
    ['morf', 'lerf'].forEach((o) => s[o as 'morf'].forEach((v, j) => (e = Math.max(e, Math.abs(v - want(k)[o as 'morf'][j]))))),
  );
  return e;
}

describe('ROAD as pytorch-grad-cam computes it', () => {
  it('the map: scale_cam_image(relu(resize(scale_cam_image(relu(raw))))) (measured worst 1.8e-7)', () => {
    for (const c of fx.cams) {
      const m = pytorchGradCamMap(c.raw, c.h, c.w, H, W);
      let e = 0;
      m.forEach((v, i) => (e = Math.max(e, Math.abs(v - c.map[i]))));
      expect(e, c.name).toBeLessThan(5e-7);
    }
  });

  it('threshold masks remove exactly the pixels the library removes (shares, all ties together)', () => {
    for (const c of fx.cams) {
      const cam = prepareCam(c.map);
      const share = (o: 'morf' | 'lerf', p: number) =>
        removalMask(cam, o, p, 'threshold', 'kept').reduce((a, b) => a + b, 0) / (H * W);
      expect(
        fx.percentiles.map((p) => share('morf', p)),
        c.name,
      ).toEqual(c.threshold.removedMorf);
      expect(
        fx.percentiles.map((p) => share('lerf', p)),
        c.name,
      ).toEqual(c.threshold.removedLerf);
    }
  });

  it("preset pytorch-grad-cam (noise 0): MoRF/LeRF per p and ROADCombined equal the library's", async () => {
    const run = await setup();
    const got = await Promise.all(fx.cams.map((c) => road(run, c.map, { ...pgc, target, tolerance: 1e-6 })));
    const e = worst(got, (k) => fx.cams[k].pgc);
    console.log(`threshold/kept vs pytorch-grad-cam: worst |ΔC| ${e.toExponential(2)}`);
    expect(e).toBeLessThan(1e-5); // measured: 1.6e-6 (threshold vs the library), 3.3e-6 (rank vs float64)
    got.forEach((r, k) => {
      expect(r.road).toBeCloseTo(fx.cams[k].pgc.ROADCombined, 5);
      expect(r.removed.morf).toEqual(fx.cams[k].threshold.removedMorf);
    });
    expect(got[0].settings).toMatchObject({ ties: 'threshold', percent: 'kept', combine: 'mean', percentiles: fx.percentiles });
  }, 240_000);

  it("ybroad from raw layer CAMs (the pytorch-grad-cam map built in camanim) gives the library's numbers", async () => {
    const run = await setup();
    const stack = {
      inputShape: [1, C, H, W],
      target,
      layers: fx.cams.map((c) => ({
        name: c.name,
        shape: [1, 1, c.h, c.w],
        raw: Float32Array.from(c.raw),
        upsampled: new Float32Array(H * W),
      })),
    } as unknown as CamStack;
    const yb = await ybroad(run, stack, { ...pgc, tolerance: 1e-6 });
    const e = worst(yb.series, (k) => fx.cams[k].pgc);
    console.log(`ybroad (camanim's map) vs pytorch-grad-cam: worst |ΔC| ${e.toExponential(2)}`);
    expect(e).toBeLessThan(1e-5); // measured: 1.6e-6 (threshold vs the library), 3.3e-6 (rank vs float64)
    expect(yb.settings).toMatchObject({ ties: 'threshold', percent: 'kept', combine: 'mean', map: 'pytorch-grad-cam', noise: 0 });
    expect(JSON.parse(JSON.stringify(yb)).settings.ties).toBe('threshold');
  }, 240_000);

  it('rank ties (exact count) under both readings match the float64 reimplementation; they differ from the library on tied maps', async () => {
    const run = await setup();
    for (const [percent, key] of [
      ['removed', 'rankRemoved'],
      ['kept', 'rankKept'],
    ] as const) {
      const got = await Promise.all(
        fx.cams.map((c) =>
          road(run, c.map, {
            percentiles: fx.percentiles,
            ties: 'rank',
            percent,
            combine: 'sum',
            noise: 0,
            target,
            tolerance: 1e-6,
          }),
        ),
      );
      const e = worst(got, (k) => fx.cams[k][key]);
      console.log(`rank/${percent} vs float64 reference: worst |ΔC| ${e.toExponential(2)}`);
      expect(e).toBeLessThan(1e-5); // measured: 1.6e-6 (threshold vs the library), 3.3e-6 (rank vs float64)
      got.forEach((r, k) => expect(r.road).toBeCloseTo(fx.cams[k][key].sum, 4));
    }
    // The ReLU'd map: 70% zeros, so pytorch-grad-cam's MoRF at p ≤ 60 kept removes every pixel.
    const flat = fx.cams.find((c) => c.name === 'relu-flat')!;
    expect(Math.abs(flat.rankKept.morf[0] - flat.pgc.morf[0])).toBeGreaterThan(1e-3);
  }, 240_000);
});
