/**
 * FEM, FinerCAM, LayerCAM fusion, Guided Backpropagation / Guided Grad-CAM and Deep Feature
 * Factorization against pytorch-grad-cam itself (tools/cam_pgc_reference.py --pgc, float64), as a
 * suite per fixture: every layer of the reduced resnet18 (cams-pgc.test.ts, in `pnpm test`), and
 * three depths of a full-size torchvision resnet18 (random-initialised,
 * bench-models/resnet18.onnx from tools/export_models.py --full: cams-pgc.full.ts, in
 * `pnpm test:full`, about 6 minutes on 2 cores, too long for CI's budget).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireDevice, loadModel, Runtime, type Model, type Run } from '@camanim/core';
import { computeCams, deprocessImage, guidedBackprop, pytorchGradCamMap } from '@camanim/cam-methods';
import { FIXTURES, scaledError } from './fixtures.ts';

const DIR = join(FIXTURES, '..', 'cam-pgc');
const ROOT = join(FIXTURES, '..', '..', '..');
const MAKE = '/usr/bin/python3 tools/cam_pgc_reference.py --pgc <pytorch-grad-cam checkout>';
type Ref = { offset: number; length: number };
interface Layer extends Record<string, unknown> {
  onnx: string;
  shape: number[];
}
interface PgcFixture {
  model: string;
  onnx: string;
  inputShape: number[];
  class: number;
  input: Ref;
  logits: Ref;
  guidedBackprop: Ref;
  guidedBackpropImage: Ref;
  dffComponents: number;
  layers: Layer[];
  bin: string;
}

/**
 * Measured worst errors on SwiftShader, relative to each reference's largest magnitude (reduced |
 * full-size): logits 1.5e-6 | 8.8e-7; FEM 6.9e-7 | 9.9e-7; FinerCAM 5.0e-6 | 6.2e-6; LayerCAM
 * 1.0e-6 | 9.5e-7; fusion 1.4e-6 | 1.6e-6; guided backprop 4.3e-7 | 3.7e-7; Grad-CAM map 4.0e-6 |
 * 2.9e-6; DFF embeddings 4.9e-6 | 3.7e-5, maps 2.3e-6 | 5.4e-5 (float32 activations into a float64
 * NMF against the library's float64 ones, over 200 iterations); DFF class probabilities 4.6e-7
 * absolute. uint8 images: at most 1 level apart (a value at a truncation boundary), on 8.1e-5 |
 * 3.3e-5 of the values.
 */
const TOL = { logits: 5e-6, cam: 2e-5, gb: 2e-6, dff: 2e-4, imageShare: 3e-4 };

/** The comparisons on one fixture of test/fixtures/cam-pgc (its JSON's stem). */
export function pgcSuite(name: string): void {
  describe(`pytorch-grad-cam's own numbers: ${name}`, () => {
    const json = join(DIR, `${name}.json`);
    let f: PgcFixture;
    let bin: Float32Array;
    let runtime: Runtime;
    let model: Model;
    let run: Run;
    const ref = (r: unknown) => bin.subarray((r as Ref).offset, (r as Ref).offset + (r as Ref).length);
    const names = () => f.layers.map((l) => l.onnx);
    beforeAll(async () => {
      if (!existsSync(json)) throw new Error(`missing fixture ${json}: run ${MAKE}`);
      f = JSON.parse(readFileSync(json, 'utf8'));
      const onnx = join(ROOT, f.onnx);
      if (!existsSync(onnx))
        throw new Error(`missing model ${onnx}: run /usr/bin/python3 tools/export_models.py --full resnet18 --out bench-models/`);
      const buf = readFileSync(join(DIR, f.bin));
      bin = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
      runtime = new Runtime(await acquireDevice());
      model = await loadModel(onnx, { runtime });
      run = await model.run({ data: ref(f.input).slice(), shape: f.inputShape });
    }, 600_000);
    afterAll(() => {
      run?.dispose();
      model?.dispose();
    });

    it('runs the same model (logits)', async () => {
      expect(scaledError((await run.read(model.graph.outputs[0].name)).data, ref(f.logits))).toBeLessThanOrEqual(TOL.logits);
    });

    for (const [method, key] of [
      ['fem', 'fem'],
      ['finercam', 'finercam'],
      ['layercam', 'layercam'],
      ['layercam-fusion', 'fusion'],
    ]) {
      it(`${method} at every layer`, async () => {
        const stack = await computeCams(run, { method, target: { class: f.class }, layers: names() });
        expect(stack.layers.length).toBe(f.layers.length);
        stack.layers.forEach((l, k) =>
          expect(scaledError(l.raw, ref(f.layers[k][key])), `${method} @ ${l.name}`).toBeLessThanOrEqual(TOL.cam),
        );
      }, 600_000);
    }

    it('guided backprop and Guided Grad-CAM images', async () => {
      const gb = await guidedBackprop(run, { class: f.class });
      expect(scaledError(gb.data, ref(f.guidedBackprop))).toBeLessThanOrEqual(TOL.gb);
      const [, H, W, c] = gb.shape;
      const images = [[deprocessImage(gb.data, c), ref(f.guidedBackpropImage)]];
      const stack = await computeCams(run, { method: 'gradcam', target: { class: f.class }, layers: names() });
      stack.layers.forEach((l, k) => {
        const map = pytorchGradCamMap(l.raw, l.shape[2], l.shape[3], H, W);
        expect(scaledError(map, ref(f.layers[k].gradcamMap)), `Grad-CAM map @ ${l.name}`).toBeLessThanOrEqual(TOL.cam);
        images.push([deprocessImage(gb.data, c, map), ref(f.layers[k].guidedGradcam)]);
      });
      for (const [got, want] of images) {
        let off = 0;
        got.forEach((v, i) => {
          expect(Math.abs(v - want[i])).toBeLessThanOrEqual(1);
          if (v !== want[i]) off++;
        });
        expect(off).toBeLessThanOrEqual(Math.ceil(got.length * TOL.imageShare));
      }
    }, 600_000);

    it("Deep Feature Factorization: concepts, maps and the last layer's classes", async () => {
      const stack = await computeCams(run, { method: 'dff', target: { class: f.class }, layers: names() });
      const K = f.dffComponents;
      stack.layers.forEach((l, k) => {
        const concepts = l.concepts!;
        expect(concepts.count).toBe(K);
        expect(scaledError(concepts.embeddings, ref(f.layers[k].dffConcepts)), `embeddings @ ${l.name}`).toBeLessThanOrEqual(
          TOL.dff,
        );
        expect(scaledError(concepts.maps, ref(f.layers[k].dffMaps)), `maps @ ${l.name}`).toBeLessThanOrEqual(TOL.dff);
        const probs = f.layers[k].dffClasses;
        if (!probs) return;
        const p = ref(probs);
        const classes = p.length / K;
        concepts.classes.forEach((top, q) => {
          const row = Array.from(p.subarray(q * classes, (q + 1) * classes));
          const want = row
            .map((_, j) => j)
            .sort((i, j) => row[j] - row[i])
            .slice(0, top.length);
          expect(top.map((t) => t.class)).toEqual(want);
          top.forEach((t) => expect(Math.abs(t.probability - row[t.class])).toBeLessThanOrEqual(5e-6));
        });
      });
    }, 600_000);
  });
}
