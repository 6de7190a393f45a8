/**
 * CAM parity: camanim's per-layer CAMs (layer resolution and upsampled) against the
 * independent float64 PyTorch references of tools/cam_reference.py, per model × layer × method.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel, type Runtime } from '@camanim/core';
import { computeCams, type CamOptions } from '@camanim/cam-methods';
import { FIXTURES, scaledError } from './fixtures.ts';

export const CAMS = join(FIXTURES, '..', 'cams');
/** KPCA-CAM, eigen and augmentation smoothing (tools/cam_reference.py --variants). */
export const CAM_VARIANTS = join(FIXTURES, '..', 'cam-variants');
const ROOT = join(FIXTURES, '..', '..', '..');

interface MethodRef {
  rawOffset: number;
  rawLength: number;
  upOffset: number;
  upLength: number;
}

export interface CamFixture {
  model: string;
  onnx: string;
  inputOffset: number;
  inputLength: number;
  inputShape: number[];
  class: number;
  /** The target kind per method where it is not the class logit (tools/cams/netwide.py). */
  targets?: Record<string, 'logit' | 'softmax' | 'rest'>;
  /** Variant id → the computeCams options it stands for (tools/cams/variants.py). */
  variants?: Record<string, Pick<CamOptions, 'method' | 'eigenSmooth' | 'augSmooth' | 'options'>>;
  layers: { onnx: string; methods: Record<string, MethodRef> }[];
  bin: Float32Array;
}

export function listCamFixtures(dir = CAMS): CamFixture[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const meta = JSON.parse(readFileSync(join(dir, f), 'utf8'));
      const buf = readFileSync(join(dir, meta.bin));
      return { ...meta, bin: new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)) };
    });
}

/**
 * Allowed error (relative to each map's scale) per method, about twice the worst measured over
 * the fixtures (`pnpm parity --verbose`): XGrad-CAM 2.4e-4 (DenseNet-121's denseblock3/4
 * Concat layers), Grad-CAM++ 4.0e-5, every other method at most 9.9e-6 (AblationCAM).
 */
export const CAM_TOL = 2e-5;
const METHOD_TOL: Readonly<Record<string, number>> = { xgradcam: 5e-4, 'gradcam++': 1e-4 };
export const camTol = (method: string): number => METHOD_TOL[method] ?? CAM_TOL;

export interface CamCheck {
  readonly method: string;
  readonly check: string;
  readonly error: number;
}

/** Every method of the fixture, at every layer it covers; errors relative to each map's scale. */
export async function checkCams(f: CamFixture, runtime: Runtime): Promise<CamCheck[]> {
  const model = await loadModel(join(ROOT, f.onnx), { runtime });
  const out: CamCheck[] = [];
  try {
    const run = await model.run({ data: f.bin.slice(f.inputOffset, f.inputOffset + f.inputLength), shape: f.inputShape });
    const methods = [...new Set(f.layers.flatMap((l) => Object.keys(l.methods)))];
    for (const method of methods) {
      const layers = f.layers.filter((l) => l.methods[method]);
      const stack = await computeCams(run, {
        method,
        ...f.variants?.[method],
        target: { class: f.class, kind: f.targets?.[method] ?? 'logit' },
        layers: { names: layers.map((l) => l.onnx) },
      });
      stack.layers.forEach((got, k) => {
        const ref = layers[k].methods[method];
        out.push({
          method,
          check: `${method} @ ${got.name} (layer resolution)`,
          error: scaledError(got.raw, f.bin.subarray(ref.rawOffset, ref.rawOffset + ref.rawLength)),
        });
        out.push({
          method,
          check: `${method} @ ${got.name} (upsampled)`,
          error: scaledError(got.upsampled, f.bin.subarray(ref.upOffset, ref.upOffset + ref.upLength)),
        });
      });
    }
    run.dispose();
  } finally {
    model.dispose();
  }
  return out;
}
