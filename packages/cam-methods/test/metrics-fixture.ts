/**
 * The per-layer metric references of the bundled fashion-canvas model (test/fixtures/metrics/, from
 * tools/metrics_reference.py) and the model's run on the fixture's input.
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadModel, type Run } from '@camanim/core';
import { testRuntime } from './gpu.ts';

export interface Curve {
  curve: number[];
  auc: number;
}
export interface MultScores {
  change: number;
  drop: number;
  increase: number;
}
export interface MetricsFixture {
  class: number;
  inputShape: [number, number, number, number];
  step: number;
  seed: number;
  gkern: number[];
  riseGkern?: number[];
  layers: {
    onnx: string;
    rawOffset: number;
    rawShape: [number, number];
    upOffset: number;
    mapOffset: number;
    zeros: number;
    upTies: number;
    camMult: MultScores & { baseline: number };
    pgc?: MultScores;
    deletion: Curve;
    insertion: Curve;
    upDeletion: Curve;
    upInsertion: Curve;
    rise?: { deletion: Curve; insertion: Curve };
  }[];
  mprt: { steps: string[]; ssim: number[][]; spearman: number[][] };
}

const ROOT = new URL('../../../', import.meta.url);
/** The checkouts: jacobgil/pytorch-grad-cam, eclique/RISE, understandable-machine-intelligence-lab/Quantus. */
const REGENERATE = '/usr/bin/python3 tools/metrics_reference.py --pgc <pytorch-grad-cam> --rise <RISE> --quantus <Quantus>';

function f32(url: URL): Float32Array {
  const buf = readFileSync(url);
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/** The fixture, its maps (pytorch-grad-cam's map per layer) and the CAM fixture's floats (input, raw, upsampled). */
export function metricsFixture(): { fx: MetricsFixture; maps: Float32Array; cams: Float32Array } {
  const json = new URL('test/fixtures/metrics/fashion-canvas.json', ROOT);
  if (!existsSync(json))
    throw new Error(`test/fixtures/metrics/fashion-canvas.json is missing: regenerate it with \`${REGENERATE}\``);
  const fx = JSON.parse(readFileSync(json, 'utf8')) as MetricsFixture;
  return {
    fx,
    maps: f32(new URL('test/fixtures/metrics/fashion-canvas.bin', ROOT)),
    cams: f32(new URL('test/fixtures/cams/fashion-canvas.bin', ROOT)),
  };
}

/** The bundled model run on the fixture's input. */
export async function fashionRun(fx: MetricsFixture, cams: Float32Array): Promise<Run> {
  const model = await loadModel(new URL('packages/cli/assets/fashion-canvas.onnx', ROOT).pathname, {
    runtime: await testRuntime(),
  });
  const n = fx.inputShape.reduce((a, b) => a * b, 1);
  return model.run({ data: cams.slice(0, n), shape: fx.inputShape });
}
