/** ROAD parity: camanim's GPU imputation + batched forwards against the PyTorch/SciPy reference. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireDevice, loadModel, Runtime } from '@camanim/core';
import { road } from '@camanim/cam-methods';
import { FIXTURES } from './fixtures.ts';

const ROAD = join(FIXTURES, '..', 'road');
const ROOT = join(FIXTURES, '..', '..', '..');
const TOL = 5e-4;
let runtime: Runtime | undefined;

/** The models tools/road_reference.py scores by default: each must have its fixture. */
const EXPECTED = ['resnet18', 'fashion-canvas'];
/** pytorch-grad-cam.json is tools/road_pgc_reference.py's (another schema; cam-methods' road-pgc test reads it). */
const present = existsSync(ROAD) ? readdirSync(ROAD).filter((f) => f.endsWith('.json') && f !== 'pytorch-grad-cam.json') : [];

describe('ROAD matches tools/road_reference.py (exact sparse solve, noise 0)', () => {
  for (const model of EXPECTED.filter((m) => !present.includes(`${m}.json`))) {
    it(model, () => {
      expect.fail(
        `test/fixtures/road/${model}.json is missing: regenerate it with \`/usr/bin/python3 tools/road_reference.py ${model}\` (after tools/cam_reference.py ${model} if its CAM fixture is missing too)`,
      );
    });
  }
  for (const file of present) {
    const ref = JSON.parse(readFileSync(join(ROAD, file), 'utf8'));
    it(ref.model, async () => {
      runtime ??= new Runtime(await acquireDevice());
      const cams = JSON.parse(readFileSync(join(ROOT, ref.cams), 'utf8'));
      const buf = readFileSync(join(ROOT, 'test', 'fixtures', 'cams', cams.bin));
      const bin = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
      const model = await loadModel(join(ROOT, ref.onnx), { runtime });
      const run = await model.run({
        data: bin.slice(cams.inputOffset, cams.inputOffset + cams.inputLength),
        shape: cams.inputShape,
      });
      for (const layer of ref.layers) {
        const cam = bin.subarray(layer.camUpOffset, layer.camUpOffset + layer.camUpLength);
        // The fixture's convention (tools/road_reference.py): exact counts removed, ties by index.
        const got = await road(run, cam, {
          target: { class: ref.class, kind: 'softmax' },
          noise: 0,
          percentiles: ref.percentiles,
          tolerance: 1e-6,
          ties: 'rank',
          percent: 'removed',
          combine: 'sum',
        });
        got.morf.forEach((v, k) =>
          expect(Math.abs(v - layer.morf[k]), `${layer.onnx} MoRF ${ref.percentiles[k]}%`).toBeLessThan(TOL),
        );
        got.lerf.forEach((v, k) =>
          expect(Math.abs(v - layer.lerf[k]), `${layer.onnx} LeRF ${ref.percentiles[k]}%`).toBeLessThan(TOL),
        );
        expect(Math.abs(got.road - layer.road), `${layer.onnx} ROAD`).toBeLessThan(2 * TOL);
      }
      run.dispose();
      model.dispose();
    }, 600_000);
  }
});
