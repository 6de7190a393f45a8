/**
 * The metrics beside ROAD at three depths (layer1, layer3, layer4) of a full-size torchvision
 * resnet18 (random-initialised, bench-models/resnet18.onnx from tools/export_models.py --full),
 * against tools/metrics_reference.py --subject resnet18-full: pytorch-grad-cam's own
 * CamMultImageConfidenceChange / DropInConfidence / IncreaseInConfidence, float64 Deletion /
 * Insertion (RISE's definition, ties in raster order, 1792 pixels a step) and MPRT (Quantus's ssim
 * and correlation_spearman after each of the 21 randomised nodes, camanim's draw). Each on the
 * fixture's maps (the metric alone) and from camanim's own Grad-CAM stack (end to end). Run by
 * `pnpm test:full`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireDevice, loadModel, Runtime, type Model, type Run } from '@camanim/core';
import { camMult, camMultLayers, causal, causalLayers, computeCams, mprt, type CamStack } from '@camanim/cam-methods';
import { FIXTURES } from './fixtures.ts';

const METRICS = join(FIXTURES, '..', 'metrics');
const ROOT = join(FIXTURES, '..', '..', '..');
const MAKE = '/usr/bin/python3 tools/metrics_reference.py --subject resnet18-full --pgc <pytorch-grad-cam> --quantus <Quantus>';

interface Curve {
  readonly curve: readonly number[];
  readonly auc: number;
}
interface Mult {
  change: number;
  drop: number;
  increase: number;
}
interface Fixture {
  onnx: string;
  /** The cam-pgc fixture whose input and class these are. */
  input: string;
  class: number;
  inputShape: [number, number, number, number];
  step: number;
  layers: {
    onnx: string;
    mapOffset: number;
    camMult: Mult & { baseline: number };
    pgc: Mult;
    deletion: Curve;
    insertion: Curve;
  }[];
  /** [step][layer]; null where the library gives NaN (a constant map). */
  mprt: { steps: string[]; ssim: (number | null)[][]; spearman: (number | null)[][] };
}

/**
 * Measured worst absolute errors on SwiftShader (the probabilities are ≈ 0.0105 on a random model's
 * 1000 classes): cam-mult 2.0e-8 on the fixture's maps and 8.4e-9 from the stack; Deletion /
 * Insertion on the fixture's maps 2.3e-8 (curves and AUCs). From camanim's own stack the pixels'
 * order follows float32 maps, whose near-ties fall differently: 1.2e-4 on a curve point and 4.4e-6
 * on an AUC, inside what a relative 1e-6 perturbation of the float64 maps moves them by in the
 * reference itself (3.9e-4 and 2.1e-5, tools/metrics_reference.py's causal()). MPRT: SSIM 2.2e-5,
 * Spearman 7.0e-5 (float32 Grad-CAM on 21 randomised models against float64's). Each about 2.5×.
 */
const TOL = { mult: 6e-8, causal: 6e-8, stackCurve: 3e-4, stackAuc: 1e-5, ssim: 5e-5, spearman: 2e-4 };

const f32 = (file: string) => {
  const b = readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

describe("the metrics at three depths of a full-size resnet18, against pytorch-grad-cam's and Quantus's numbers", () => {
  let fx: Fixture;
  let maps: Float32Array;
  let model: Model;
  let run: Run;
  let stack: CamStack;
  const HW = () => fx.inputShape[2] * fx.inputShape[3];
  const layerMap = (k: number) => maps.subarray(fx.layers[k].mapOffset, fx.layers[k].mapOffset + HW());
  const target = () => ({ class: fx.class, kind: 'softmax' as const });

  beforeAll(async () => {
    const json = join(METRICS, 'resnet18-full.json');
    if (!existsSync(json)) throw new Error(`missing fixture ${json}: run ${MAKE}`);
    fx = JSON.parse(readFileSync(json, 'utf8'));
    maps = f32(join(METRICS, 'resnet18-full.bin'));
    const onnx = join(ROOT, fx.onnx);
    if (!existsSync(onnx))
      throw new Error(`missing model ${onnx}: run /usr/bin/python3 tools/export_models.py --full resnet18 --out bench-models/`);
    const pgc = JSON.parse(readFileSync(join(ROOT, fx.input), 'utf8'));
    const bin = f32(join(ROOT, fx.input, '..', pgc.bin));
    model = await loadModel(onnx, { runtime: new Runtime(await acquireDevice()) });
    run = await model.run({ data: bin.slice(pgc.input.offset, pgc.input.offset + pgc.input.length), shape: fx.inputShape });
    stack = await computeCams(run, { method: 'gradcam', target: { class: fx.class }, layers: fx.layers.map((l) => l.onnx) });
  }, 600_000);
  afterAll(() => {
    run?.dispose();
    model?.dispose();
  });

  const multError = (scores: readonly Mult[]) => {
    let e = 0;
    scores.forEach((s, k) => {
      const lib = fx.layers[k].pgc;
      e = Math.max(e, Math.abs(s.change - lib.change), Math.abs(s.drop - lib.drop));
      expect(s.increase, fx.layers[k].onnx).toBe(lib.increase);
    });
    return e;
  };
  const curveError = (got: readonly Curve[], mode: 'deletion' | 'insertion') => {
    let e = 0;
    got.forEach((g, k) => {
      const want = fx.layers[k][mode];
      expect(g.curve.length, fx.layers[k].onnx).toBe(want.curve.length);
      g.curve.forEach((v, i) => {
        e = Math.max(e, Math.abs(v - want.curve[i]));
      });
      e = Math.max(e, Math.abs(g.auc - want.auc));
    });
    return e;
  };

  it("CamMultImageConfidenceChange, DropInConfidence, IncreaseInConfidence equal pytorch-grad-cam's", async () => {
    const onMaps = multError((await camMult(run, [0, 1, 2].map(layerMap), { target: target() })).scores);
    const fromStack = multError((await camMultLayers(run, stack)).series);
    console.log(
      `cam-mult vs pytorch-grad-cam: on its maps ${onMaps.toExponential(2)}, from the stack ${fromStack.toExponential(2)}`,
    );
    expect(Math.max(onMaps, fromStack)).toBeLessThan(TOL.mult);
  }, 600_000);

  it("Deletion and Insertion curves and AUCs on the fixture's maps equal the float64 reference", async () => {
    const errors: Record<string, number> = {};
    for (const mode of ['deletion', 'insertion'] as const) {
      const got = (await causal(run, mode, [0, 1, 2].map(layerMap), { target: target(), step: fx.step })).scores;
      errors[mode] = curveError(got, mode);
    }
    console.log(`deletion/insertion on the fixture's maps vs float64: ${JSON.stringify(errors)}`);
    expect(Math.max(...Object.values(errors))).toBeLessThan(TOL.causal);
  }, 900_000);

  it("Deletion and Insertion from camanim's own stack: within what float32 rounding of the map moves them", async () => {
    const errors: Record<string, { curve: number; auc: number }> = {};
    for (const mode of ['deletion', 'insertion'] as const) {
      const got = (await causalLayers(run, stack, mode, { step: fx.step })).series;
      errors[mode] = {
        curve: curveError(got, mode),
        auc: Math.max(...got.map((g, k) => Math.abs(g.auc - fx.layers[k][mode].auc))),
      };
    }
    console.log(`deletion/insertion from the stack vs float64: ${JSON.stringify(errors)}`);
    for (const e of Object.values(errors)) {
      expect(e.curve).toBeLessThan(TOL.stackCurve);
      expect(e.auc).toBeLessThan(TOL.stackAuc);
    }
  }, 900_000);

  it('MPRT: SSIM and Spearman per step and layer equal Quantus on the same randomised weights', async () => {
    const got = await mprt(run, stack, { method: 'gradcam' });
    expect(got.steps.map((s) => s.node)).toEqual(fx.mprt.steps);
    const worst = (g: readonly (readonly number[])[], w: (number | null)[][]) => {
      let e = 0;
      g.forEach((row, s) =>
        row.forEach((v, l) => {
          const want = w[s][l];
          expect(Number.isNaN(v), `step ${s} layer ${l}`).toBe(want === null);
          if (want !== null) e = Math.max(e, Math.abs(v - want));
        }),
      );
      return e;
    };
    const [eSsim, eRho] = [worst(got.ssim, fx.mprt.ssim), worst(got.spearman, fx.mprt.spearman)];
    console.log(`mprt vs Quantus: ssim ${eSsim.toExponential(2)}, spearman ${eRho.toExponential(2)}`);
    expect(eSsim).toBeLessThan(TOL.ssim);
    expect(eRho).toBeLessThan(TOL.spearman);
  }, 1_800_000);
});
