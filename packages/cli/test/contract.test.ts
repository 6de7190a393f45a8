/**
 * Models made the way real exporters make them (tools/contract_models.py: paddle2onnx's
 * all-symbolic dims, a final Softmax/LogSoftmax/Sigmoid, two outputs, tf2onnx's NHWC, Caffe's
 * BGR 0..255, Windows ML and Deepness metadata_props, a [1, T, K] sequence and a [1, K, H, W]
 * map): each is explained with the right contract, or refused with a message that says what to
 * pass. References are from numpy and onnxruntime (expected.json), never from camanim: the
 * input tensor each convention gives, and every output. The CAMs of every classifier equal
 * those of the same weights with fixed dims and explicit preprocessing (base-fixed).
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { computeCams } from '@camanim/cam-methods';
import { acquireDevice, loadGraph, loadModel, resolveInputContract } from '@camanim/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { readBundle } from '../src/bundle.ts';
import { flagSources, type ContractFlags } from '../src/contract.ts';
import { readImage } from '../src/image.ts';
import { preprocess } from '../src/preprocess.ts';
import { camanim, scratch } from './helpers/cli.ts';

const FIXTURES = resolve(import.meta.dirname, 'fixtures/contract');
const REGENERATE = '/usr/bin/python3 tools/contract_models.py';

interface Slot {
  offset: number;
  length: number;
  shape: number[];
}
interface Entry {
  file: string;
  input: { name: string; dims: (number | string)[] };
  outputs: { name: string; shape: number[] }[];
  convention: { size: [number, number]; layout: 'NCHW' | 'NHWC' };
  image: string;
  inputTensor: Slot;
  ortOutputs: Record<string, Slot>;
  preActivation?: { name: string } & Slot;
}

let expected: { models: Record<string, Entry> };
let bin: Float32Array;
let tmp: string;
const model = (name: string) => join(FIXTURES, `${name}.onnx`);
const image = (name: string) => join(FIXTURES, expected.models[name].image);
const slot = (s: Slot) => bin.subarray(s.offset, s.offset + s.length);
/** The convention every model but caffe and winml was "trained" with: (x/255 − 0.5)/0.5. */
const PADDLE_NORM = ['--mean', '0.5', '--std', '0.5'];

beforeAll(() => {
  const file = join(FIXTURES, 'expected.json');
  if (!existsSync(file)) throw new Error(`The contract fixtures are missing (${file}); make them with: ${REGENERATE}`);
  expected = JSON.parse(readFileSync(file, 'utf8'));
  const bytes = readFileSync(join(FIXTURES, 'expected.bin'));
  bin = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  tmp = scratch('camanim-contract-');
});

let runs = 0;
async function explain(name: string, args: string[], opts: { quiet?: boolean } = {}) {
  const out = join(tmp, `out-${runs++}`);
  const r = await camanim([
    'explain',
    '--model',
    model(name),
    '--image',
    image(name),
    '--out',
    out,
    '--format',
    'bundle',
    ...(opts.quiet === false ? [] : ['--quiet']),
    ...args,
  ]);
  return { ...r, out, bundle: () => readBundle(join(out, expected.models[name].image.replace(/\.png$/, ''), 'bundle')) };
}

type Bundle = Awaited<ReturnType<Awaited<ReturnType<typeof explain>>['bundle']>>;

/** Largest |a − b| over every layer's maps (at layer and at input resolution) that both bundles have. */
async function camDistance(a: Bundle, b: Bundle): Promise<{ worst: number; layers: number }> {
  let worst = 0;
  let layers = 0;
  for (const la of a.manifest.cams[0].layers) {
    const lb = b.manifest.cams[0].layers.find((l) => l.name === la.name);
    if (!lb) continue;
    layers++;
    for (const which of ['layer', 'input'] as const) {
      const x = await a.maps(a.manifest.cams[0], la, which);
      const y = await b.maps(b.manifest.cams[0], lb, which);
      expect(x.length).toBe(y.length);
      for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / Math.max(1, Math.abs(y[i])));
    }
  }
  return { worst, layers };
}

/** Every reported probability against the model's own output from onnxruntime. */
function expectProbabilities(b: Bundle, name: string, toProbability: (ort: Float32Array, k: number) => number) {
  const entry = expected.models[name];
  const ort = slot(entry.ortOutputs[b.manifest.contract.output.name]);
  expect(b.manifest.prediction.length).toBe(5);
  for (const p of b.manifest.prediction)
    expect(Math.abs(p.probability - toProbability(ort, p.class))).toBeLessThan(PROBABILITY_TOL);
}

/** Measured: ≤ 6.0e-8 between camanim's and onnxruntime's probabilities on these models (sigmoid). */
const PROBABILITY_TOL = 1.2e-7;
/** Measured: ≤ 9.5e-7 between camanim's and onnxruntime's logits (winml-metadata, 0..255 inputs). */
const LOGIT_TOL = 2e-6;
/** Measured: 0 on every model (the same kernels on the same numbers); the bar is 1e-5. */
const CAM_TOL = 1e-6;

let base: Bundle;

describe('the model contract, on models as exporters make them', () => {
  beforeAll(async () => {
    const r = await explain('base-fixed', PADDLE_NORM);
    expect(r.err).toBe('');
    base = await r.bundle();
  });

  it('reads each convention into the input tensor numpy makes from it', async () => {
    // What a user passes for each (nothing for the models whose metadata says it).
    const flags: Record<string, ContractFlags> = {
      'base-fixed': { mean: '0.5', std: '0.5' },
      'paddle-symbolic': { mean: '0.5', std: '0.5' },
      'tf2onnx-nhwc': { mean: '0.5', std: '0.5' },
      'caffe-bgr': { preset: 'caffe', resize: 'stretch' },
      'winml-metadata': {},
      'metadata-json': {},
    };
    for (const [name, f] of Object.entries(flags)) {
      const entry = expected.models[name];
      const img = await readImage(image(name));
      const input = resolveInputContract(await loadGraph(model(name)), flagSources(f), { image: img });
      expect(input.size, name).toEqual(entry.convention.size);
      expect(input.layout, name).toBe(entry.convention.layout);
      const x = await preprocess(img, input);
      const want = slot(entry.inputTensor);
      const [H, W] = entry.convention.size;
      let worst = 0;
      for (let c = 0; c < 3; c++) {
        for (let p = 0; p < H * W; p++) {
          const ref = entry.convention.layout === 'NHWC' ? want[p * 3 + c] : want[c * H * W + p];
          worst = Math.max(worst, Math.abs(x.data[c * H * W + p] - ref));
        }
      }
      // numpy's float32 arithmetic against camanim's float64 rounded once: at most one float32 ulp of
      // the values, 2^-16 for 0..255 inputs (measured 1.53e-5, caffe) and 2^-22 for [-1, 1] (measured ≤ 5.9e-8).
      expect(worst, name).toBeLessThanOrEqual(input.scale === 255 ? 2 ** -16 : 2 ** -22);
    }
  });

  it("base-fixed: the prediction is onnxruntime's", () => {
    const logits = slot(expected.models['base-fixed'].ortOutputs.logits);
    const max = Math.max(...logits);
    const sum = logits.reduce((a, v) => a + Math.exp(v - max), 0);
    expectProbabilities(base, 'base-fixed', (_, k) => Math.exp(logits[k] - max) / sum);
    for (const p of base.manifest.prediction) expect(Math.abs(p.logit - logits[p.class])).toBeLessThan(LOGIT_TOL);
    expect(base.manifest.contract.output).toMatchObject({ name: 'logits', activation: 'none', explained: 'logits', classes: 10 });
  });

  it('paddle2onnx, every dim symbolic and a final Softmax: the image sets the size (with a notice), the scores before the Softmax are explained', async () => {
    const r = await explain('paddle-symbolic', PADDLE_NORM, { quiet: false });
    expect(r.code).toBe(0);
    expect(r.err).toContain(
      "notice: the model leaves 'p2o.DynamicDimension.1' and 'p2o.DynamicDimension.2' symbolic: using 48×192, the image's own size, rounded to a multiple of the model's total stride 8×8",
    );
    expect(r.err).toMatch(
      /contract: input 48×192 NCHW RGB, x\/255, mean 0\.5,0\.5,0\.5 std 0\.5,0\.5,0\.5, centre crop; output 'save_infer_model\/scale_0\.tmp_1' \[1, 10\], 10 classes, softmax \(explaining '\/fc\/Gemm_output_0', the scores before it\)/,
    );
    expect(r.err).toContain('  mean: --mean');
    // The prediction on the console: top-5 labels with the model's probabilities.
    const b = await r.bundle();
    const top = b.manifest.prediction.map((p) => `${p.label} ${p.probability.toFixed(3)}`).join(' · ');
    expect(r.err).toContain(`image-48x192: ${top}`);
    expect(b.manifest.contract.output).toMatchObject({ activation: 'softmax', explained: '/fc/Gemm_output_0' });
    expect(b.manifest.contract.input.sources.size).toMatch(/^the image \(192×48/);
    expect(b.manifest.inputShape).toEqual([1, 3, 48, 192]);
    expectProbabilities(b, 'paddle-symbolic', (ort, k) => ort[k]);
    const d = await camDistance(b, base);
    expect(d.layers).toBe(base.manifest.cams[0].layers.length);
    expect(d.worst).toBeLessThan(CAM_TOL);
  });

  it("a graph ending in Softmax, LogSoftmax or Sigmoid reports the model's own probability and explains the logits", async () => {
    const cases: [string, (ort: Float32Array, k: number) => number][] = [
      ['softmax-fixed', (ort, k) => ort[k]],
      ['logsoftmax', (ort, k) => Math.exp(ort[k])],
      ['sigmoid', (ort, k) => ort[k]],
    ];
    for (const [name, probability] of cases) {
      const r = await explain(name, PADDLE_NORM);
      expect(r.err, name).toBe('');
      const b = await r.bundle();
      expect(b.manifest.contract.output.explained, name).toBe('/fc/Gemm_output_0');
      expectProbabilities(b, name, probability);
      expect((await camDistance(b, base)).worst, name).toBeLessThan(CAM_TOL);
    }
  });

  it('two outputs: refused without --output, naming both; explained with it', async () => {
    const refused = await explain('two-outputs', PADDLE_NORM);
    expect(refused.code).not.toBe(0);
    expect(refused.err).toContain(
      "The model has 2 outputs ('features' [1, 16], 'logits' [1, 10]) and more than one could be a classifier [N, K]",
    );
    expect(refused.err).toContain('Pick one with --output NAME');
    expect(existsSync(refused.out)).toBe(false);
    const wrong = await explain('two-outputs', [...PADDLE_NORM, '--output', 'probs']);
    expect(wrong.err).toContain("--output names 'probs', which is not an output of the model");
    const r = await explain('two-outputs', [...PADDLE_NORM, '--output', 'logits']);
    expect(r.err).toBe('');
    const b = await r.bundle();
    expect(b.manifest.contract.output).toMatchObject({ name: 'logits', from: '--output' });
    // Only what 'logits' needs is left: the same layers as base, the same maps.
    const d = await camDistance(b, base);
    expect(d.layers).toBe(base.manifest.cams[0].layers.length);
    expect(d.worst).toBeLessThan(CAM_TOL);
  });

  it('tf2onnx NHWC with a final Softmax: behind the channels-first adapter, the same maps', async () => {
    const r = await explain('tf2onnx-nhwc', PADDLE_NORM);
    expect(r.err).toBe('');
    const b = await r.bundle();
    expect(b.manifest.contract).toMatchObject({
      adapter: 'channels-last → channels-first',
      input: { layout: 'NHWC', size: [48, 192] },
    });
    expectProbabilities(b, 'tf2onnx-nhwc', (ort, k) => ort[k]);
    const d = await camDistance(b, base);
    expect(d.layers).toBeGreaterThan(0);
    expect(d.worst).toBeLessThan(CAM_TOL);
  });

  it("Caffe BGR 0..255: --preset caffe gives what the explicit flags give, and onnxruntime's prediction", async () => {
    const preset = await (await explain('caffe-bgr', ['--preset', 'caffe', '--resize', 'stretch'])).bundle();
    const explicit = await (
      await explain('caffe-bgr', ['--bgr', '--scale', '255', '--mean', '123.68,116.779,103.939', '--std', '1'])
    ).bundle();
    expect(preset.manifest.contract.input).toMatchObject({
      order: 'BGR',
      scale: 255,
      mean: [123.68, 116.779, 103.939],
      std: [1, 1, 1],
    });
    expect(preset.manifest.contract.input.sources.mean).toBe('preset caffe (--preset)');
    expect((await camDistance(preset, explicit)).worst).toBe(0);
    const ort = slot(expected.models['caffe-bgr'].ortOutputs.logits);
    for (const p of preset.manifest.prediction) expect(Math.abs(p.logit - ort[p.class])).toBeLessThan(LOGIT_TOL);
  });

  it("the model's own metadata_props (Windows ML image metadata, Deepness standardization) are read without flags", async () => {
    const winml = await explain('winml-metadata', []);
    expect(winml.err).toBe('');
    const w = await winml.bundle();
    expect(w.manifest.contract.input).toMatchObject({
      order: 'BGR',
      scale: 255,
      mean: [0, 0, 0],
      std: [1, 1, 1],
      size: [64, 64],
    });
    expect(w.manifest.contract.input.sources.order).toBe('model graph and metadata_props');
    const ort = slot(expected.models['winml-metadata'].ortOutputs.logits);
    for (const p of w.manifest.prediction) expect(Math.abs(p.logit - ort[p.class])).toBeLessThan(LOGIT_TOL);
    const deepness = await explain('metadata-json', []);
    expect(deepness.err).toBe('');
    const d = await deepness.bundle();
    expect(d.manifest.contract.input).toMatchObject({ mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], size: [48, 192] });
    expect((await camDistance(d, base)).worst).toBeLessThan(CAM_TOL);
  });

  it("a Hugging Face export's preprocessor_config.json and config.json beside model.onnx give the contract and the labels", async () => {
    const dir = join(tmp, 'hf');
    mkdirSync(dir);
    copyFileSync(model('base-fixed'), join(dir, 'model.onnx'));
    // ViTImageProcessor's fields as optimum-cli export onnx leaves them.
    writeFileSync(
      join(dir, 'preprocessor_config.json'),
      JSON.stringify({
        do_resize: true,
        size: { height: 48, width: 192 },
        resample: 2,
        do_rescale: true,
        rescale_factor: 0.00392156862745098,
        do_normalize: true,
        image_mean: [0.5, 0.5, 0.5],
        image_std: [0.5, 0.5, 0.5],
        image_processor_type: 'ViTImageProcessor',
      }),
    );
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({ id2label: Object.fromEntries(Array.from({ length: 10 }, (_, k) => [String(k), `label-${k}`])) }),
    );
    const out = join(tmp, 'hf-out');
    const r = await camanim([
      'explain',
      '--model',
      join(dir, 'model.onnx'),
      '--image',
      image('base-fixed'),
      '--out',
      out,
      '--format',
      'bundle',
      '--quiet',
    ]);
    expect(r.err).toBe('');
    const b = await readBundle(join(out, 'image-48x192', 'bundle'));
    expect(b.manifest.contract.input).toMatchObject({
      size: [48, 192],
      scale: 1,
      mean: [0.5, 0.5, 0.5],
      std: [0.5, 0.5, 0.5],
      resize: 'stretch',
    });
    expect(b.manifest.contract.input.sources.mean).toBe(`model JSON ${join(dir, 'preprocessor_config.json')}`);
    expect(b.manifest.target.label).toBe(`label-${b.manifest.target.class}`);
    expect((await camDistance(b, base)).worst).toBeLessThan(CAM_TOL);
    writeFileSync(
      join(dir, 'preprocessor_config.json'),
      JSON.stringify({ rescale_factor: 0.5, image_mean: [0.5], image_std: [0.5] }),
    );
    const odd = await camanim([
      'explain',
      '--model',
      join(dir, 'model.onnx'),
      '--image',
      image('base-fixed'),
      '--out',
      join(tmp, 'hf-odd'),
      '--quiet',
    ]);
    expect(odd.err).toContain("preprocessor_config.json has a malformed 'rescale_factor': expected 1/255");
  });

  it('never guesses the normalization: a model that states none is refused with the flags to pass', async () => {
    const r = await explain('paddle-symbolic', []);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain("Nothing says how 'x' is normalized");
    expect(r.err).toContain('--preset imagenet|inception|paddle|caffe|clip|raw');
    expect(existsSync(r.out)).toBe(false);
    const big = await explain('base-fixed', ['--mean', '123,117,104', '--std', '58']);
    expect(big.err).toContain('values above 1 are 0..255 pixels, but nothing gives the pixel scale');
    expect(big.err).toContain('--scale 255');
  });

  it('sequence and map outputs are refused, naming the shape; layers still lists them', async () => {
    const seq = await explain('sequence', PADDLE_NORM);
    expect(seq.code).not.toBe(0);
    expect(seq.err).toContain("Output 'ctc_probs' is [1, 24, 37]: a sequence (24 steps of 37 scores");
    expect(seq.err).not.toContain('classes of');
    const seg = await explain('segment', PADDLE_NORM);
    expect(seg.err).toContain("Output 'out' is [1, 10, 48, 192]: a map (10 channels at 48×192");
    const road = await camanim(['road', '--model', model('sequence'), '--image', image('sequence'), ...PADDLE_NORM, '--quiet']);
    expect(road.code).not.toBe(0);
    expect(road.err).toContain("Output 'ctc_probs' is [1, 24, 37]: a sequence");
    const layers = await camanim(['layers', model('sequence'), '--input-size', '48x192']);
    expect(layers.code).toBe(0);
    expect(layers.out).toContain("output: explain would refuse it: Output 'ctc_probs' is [1, 24, 37]");
  });

  it('layers takes the same flags and lists every model explain accepts, at the size explain would use', async () => {
    const sized = await camanim(['layers', model('paddle-symbolic'), '--input-size', '48x192']);
    expect(sized.code).toBe(0);
    expect(sized.out).toContain(
      'input: 48×192 NCHW, normalization not stated (explain will need --preset or --mean/--std) (size: --input-size)',
    );
    expect(sized.out).toContain("output: 'save_infer_model/scale_0.tmp_1' [1, 10], 10 classes, softmax");
    const fromImage = await camanim(['layers', model('paddle-symbolic'), '--image', image('paddle-symbolic')]);
    expect(fromImage.code).toBe(0);
    expect(fromImage.err).toContain('using 48×192');
    expect(fromImage.out).toContain('[1, 16, 6, 24]');
  });

  it('checks the flags against the model', async () => {
    const fixed = await explain('base-fixed', [...PADDLE_NORM, '--input-size', '64x64']);
    expect(fixed.err).toContain("--input-size asks for 64×64, but the model's input 'input' is fixed at 48×192");
    const malformed = await explain('paddle-symbolic', [...PADDLE_NORM, '--input-size', '48by192']);
    expect(malformed.err).toContain("--input-size expects HxW, got '48by192'");
    const mean = await explain('paddle-symbolic', ['--mean', '0.5,0.5', '--std', '0.5']);
    expect(mean.err).toContain('--mean expects 1 or 3 comma-separated numbers');
    const layout = await explain('base-fixed', [...PADDLE_NORM, '--layout', 'nhwc']);
    expect(layout.err).toContain("--layout says NHWC, but input 'input' [batch, 3, 48, 192] has 192 channels on that axis");
  });

  it('warns when the explained score is saturated', async () => {
    // base-fixed fed 0..255 pixels: logits far apart, p ≈ 1 under a softmax target.
    const r = await explain('base-fixed', ['--scale', '255', '--mean', '0', '--std', '1', '--target', 'softmax'], {
      quiet: false,
    });
    expect(r.code).toBe(0);
    expect(r.err).toMatch(
      /warning: the softmax target of .* is saturated \(p 1\.000|warning: the softmax target of .* is saturated \(p 0\.9999/,
    );
    expect(r.err).toContain('--target logit');
  });

  it('the library reads the same contract: loadModel(src, { input }), computeCams with plain layer names', async () => {
    const device = await acquireDevice();
    try {
      const m = await loadModel(model('paddle-symbolic'), { device, input: { size: [48, 192], mean: [0.5], std: [0.5] } });
      expect(m.contract!.input).toMatchObject({ size: [48, 192], layout: 'NCHW', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
      expect(m.contract!.input.sources.mean).toBe('loadModel options');
      expect(m.contract!.output).toMatchObject({ activation: 'softmax', explained: '/fc/Gemm_output_0' });
      const x = slot(expected.models['paddle-symbolic'].inputTensor);
      const run = await m.run({ data: x, shape: [1, 3, 48, 192] });
      try {
        const cams = base.manifest.cams[0];
        const names = cams.layers.slice(-2).map((l) => l.name);
        const stack = await computeCams(run, { method: cams.method, target: { class: cams.target.class }, layers: names });
        expect(stack.layers.map((l) => l.name)).toEqual(names);
        for (const [k, layer] of stack.layers.entries()) {
          const want = await base.maps(cams, cams.layers.at(-2 + k)!, 'layer');
          let worst = 0;
          for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(layer.raw[i] - want[i]));
          expect(worst).toBeLessThan(CAM_TOL);
        }
        await expect(computeCams(run, { method: 'gradcam', target: { class: 0 }, layers: ['nope'] })).rejects.toThrow(
          /Layer 'nope' does not exist/,
        );
      } finally {
        run.dispose();
      }
      m.dispose();
      await expect(loadModel(model('paddle-symbolic'), { device, input: {} })).rejects.toThrow(
        /leaves 'p2o.DynamicDimension.1' and 'p2o.DynamicDimension.2' symbolic and nothing gives the input size.*--input-size HxW \(library: input.size\)/,
      );
      await expect(loadModel(model('paddle-symbolic'), { device, input: { size: [48, 192] } })).rejects.toThrow(
        /Nothing says how 'x' is normalized/,
      );
      await expect(loadModel(model('sequence'), { device, input: { preset: 'paddle' } })).rejects.toThrow(/a sequence/);
    } finally {
      device.destroy();
    }
  });
});
