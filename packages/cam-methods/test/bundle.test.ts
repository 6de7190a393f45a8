/**
 * The bundle module: a manifest written as the CLI writes it reads back equal through the
 * validator, and each damage (a wrong length, a misaligned or overlapping offset, a short file,
 * an unknown version, a missing contract, a ybROAD of the wrong length) is refused naming the
 * field, the explanation and the layer.
 */
import { describe, expect, it } from 'vitest';
import {
  BundleError,
  checkFileSizes,
  packMaps,
  parseManifest,
  readMap,
  validateManifest,
  type BundleMetric,
  type BundleManifest,
  type Complete,
} from '../src/index.ts';

const H = 4;
const W = 6;
const maps = {
  layer: [new Float32Array([1, -2, 3, 4]), new Float32Array([0.5])],
  input: [new Float32Array(H * W).map((_, i) => i / 7), new Float32Array(H * W).fill(-1)],
};

function manifest(): BundleManifest {
  const raw = packMaps(maps.layer);
  const up = packMaps(maps.input);
  const percentiles = [20, 80];
  const score = (road: number) => ({
    percentiles,
    morf: [-0.1, -0.3],
    lerf: [0.1, 0.2],
    combined: [road / 2, road / 2],
    road,
    removed: { morf: [0.8, 0.2], lerf: [0.8, 0.2] },
  });
  const cam = {
    method: 'gradcam',
    title: 'Grad-CAM',
    target: { class: 2, label: 'two', kind: 'logit' as const },
    score: 3.5,
    probability: 0.7,
    files: { layer: 'gradcam.layer.bin', input: 'gradcam.input.bin' },
    layers: [
      {
        index: 0,
        modelIndex: 3,
        name: 'a',
        opType: 'Conv',
        shape: [1, 8, 2, 2],
        mapShape: [2, 2] as const,
        min: -2,
        max: 4,
        layer: raw.ranges[0],
        input: up.ranges[0],
      },
      {
        index: 1,
        modelIndex: 7,
        name: 'b',
        opType: 'Relu',
        shape: [1, 8, 1, 1],
        mapShape: [1, 1] as const,
        min: 0.5,
        max: 0.5,
        layer: raw.ranges[1],
        input: up.ranges[1],
      },
    ],
    ybroad: {
      series: [score(0.2), score(0.4)],
      max: { layer: 1, name: 'b', value: 0.4 },
      mean: 0.3,
      settings: {
        ties: 'threshold' as const,
        percent: 'kept' as const,
        combine: 'sum' as const,
        percentiles,
        noise: 0,
        seed: 0,
        target: { class: 2 },
      },
    },
    metrics: [{ id: 'drop', title: 'Drop in confidence', better: 'lower' as const, values: [0.3, 0.1] }],
  };
  const sources = { size: 'model graph', layout: 'model graph', order: 'x', scale: 'x', mean: 'x', std: 'x', resize: 'x' };
  return {
    version: 1,
    generator: 'test',
    created: '1970-01-01T00:00:00.000Z',
    model: {
      file: 'm.onnx',
      path: '/m.onnx',
      input: { name: 'x', shape: [1, 3, H, W] },
      output: { name: 'y', shape: [1, 5] },
      classes: 5,
    },
    image: { source: 'i.png', file: 'input.png', width: W, height: H, original: { width: 60, height: 40 } },
    inputShape: [1, 3, H, W],
    contract: {
      input: {
        size: [H, W],
        layout: 'NCHW',
        channels: 3,
        order: 'RGB',
        scale: 1,
        mean: [0.5],
        std: [0.25, 0.25, 0.25],
        resize: 'crop',
        cropFraction: 1,
        align: 'center',
        sources,
      },
      output: {
        name: 'y',
        shape: [1, 5],
        activation: 'softmax',
        explained: 'logits',
        classes: 5,
        task: 'classify',
        from: 'the only output',
      },
      summary: 'one line',
    },
    prediction: [{ class: 2, label: 'two', logit: 3.5, probability: 0.7 }],
    normalization: 'global',
    colormap: 'jet',
    endianness: 'little',
    dtype: 'float32',
    method: 'gradcam',
    methods: ['gradcam'],
    target: cam.target,
    score: cam.score,
    files: cam.files,
    layers: cam.layers,
    cams: [cam],
    ybroad: cam.ybroad,
  };
}

// biome-ignore lint/suspicious/noExplicitAny: a damage reaches into the manifest's JSON anywhere.
type AnyJson = any;

/** The manifest's JSON after `edit`, validated; the error it raises. */
function refusal(edit: (m: AnyJson) => void): BundleError {
  const m = JSON.parse(JSON.stringify(manifest()));
  edit(m);
  try {
    validateManifest(m, 'bundle x');
  } catch (e) {
    if (e instanceof BundleError) return e;
    throw e;
  }
  throw new Error('the damaged manifest was accepted');
}

describe('the bundle module', () => {
  it('reads back what was written, field for field, and the maps at their ranges', () => {
    const written = manifest();
    const read = parseManifest(new TextEncoder().encode(JSON.stringify(written)), 'bundle x');
    expect(read).toEqual(written);
    const layerBin = packMaps(maps.layer).bytes;
    const inputBin = packMaps(maps.input).bytes;
    checkFileSizes(read.cams[0], { layer: layerBin.byteLength, input: inputBin.byteLength }, 'bundle x');
    read.cams[0].layers.forEach((l, k) => {
      expect(readMap(layerBin, l.layer)).toEqual(maps.layer[k]);
      expect(readMap(inputBin, l.input)).toEqual(maps.input[k]);
    });
    // A metric without a value at a layer (MPRT on a constant map) holds null there.
    const gap = JSON.parse(JSON.stringify(written));
    gap.cams[0].metrics[0].values = [null, 0.1];
    expect(parseManifest(new TextEncoder().encode(JSON.stringify(gap)), 'bundle x').cams[0].metrics?.[0].values).toEqual([
      null,
      0.1,
    ]);
    // An unaligned copy of the file (a zip entry at an odd offset) reads the same values.
    const odd = new Uint8Array(layerBin.byteLength + 1).subarray(1);
    odd.set(layerBin);
    expect(readMap(odd, read.cams[0].layers[0].layer)).toEqual(maps.layer[0]);
  });

  it('reads a target without kind (bundles from before --target) as the logit, and null scores as NaN', () => {
    const m = JSON.parse(JSON.stringify(manifest()));
    delete m.cams[0].target.kind;
    m.cams[0].score = null;
    const read = validateManifest(m, 'bundle x');
    expect(read.cams[0].target.kind).toBe('logit');
    expect(read.cams[0].score).toBeNaN();
  });

  it('refuses each damage naming the field and what it must be', () => {
    const cases: [(m: AnyJson) => void, RegExp][] = [
      [
        (m) => (m.cams[0].layers[0].layer.byteLength = 12),
        /cams\[0\]\.layers\[0\]\.layer\.byteLength must be 16 \(4 float32 values for its 2×2 map\), got 12/,
      ],
      [
        (m) => (m.cams[0].layers[1].input.byteLength = 4),
        /cams\[0\]\.layers\[1\]\.input\.byteLength must be 96 \(24 float32 values for the 4×6 input\)/,
      ],
      [(m) => (m.cams[0].layers[1].layer.byteOffset = 18), /cams\[0\]\.layers\[1\]\.layer\.byteOffset must be a multiple of 4/],
      [
        (m) => (m.cams[0].layers[1].layer.byteOffset = 12),
        /cams\[0\]\.layers\[1\]\.layer\.byteOffset must not fall inside layer 0's bytes \[0, 16\), got 12/,
      ],
      [
        (m) => (m.cams[0].layers[0].input.byteOffset = -4),
        /cams\[0\]\.layers\[0\]\.input\.byteOffset must be an integer ≥ 0, got -4/,
      ],
      [
        (m) => delete m.cams[0].layers[0].mapShape,
        /cams\[0\]\.layers\[0\]\.mapShape must be an array of 2 integers ≥ 1, got null/,
      ],
      [(m) => delete m.contract, /contract must be an object, got null/],
      [(m) => (m.contract.output.task = 'guess'), /contract\.output\.task must be one of 'classify'/],
      [
        (m) => m.cams[0].ybroad.series.pop(),
        /cams\[0\]\.ybroad\.series must hold one ROAD score per layer \(2\), got "1 entries"/,
      ],
      [
        (m) => (m.cams[0].ybroad.series[1].lerf = [0.1]),
        /cams\[0\]\.ybroad\.series\[1\]\.lerf must be an array of 2 finite numbers/,
      ],
      [
        (m) => (m.cams[0].metrics[0].values = [1]),
        /cams\[0\]\.metrics\[0\]\.values must be an array of 2 finite numbers or nulls/,
      ],
      [
        (m) => (m.cams[0].metrics[0].values = [0.3, 'NaN']),
        /cams\[0\]\.metrics\[0\]\.values must be an array of 2 finite numbers or nulls/,
      ],
      [(m) => (m.cams = []), /cams must be a non-empty array/],
      [(m) => (m.cams[0].target.kind = 'odds'), /cams\[0\]\.target\.kind must be one of 'logit'/],
    ];
    for (const [edit, message] of cases) {
      const e = refusal(edit);
      expect(e.code).toBe('bad-bundle');
      expect(e.message).toMatch(message);
      expect(e.message).toMatch(/write the bundle again/);
    }
    const version = refusal((m) => (m.version = 2));
    expect(version.code).toBe('bad-version');
    expect(version.message).toMatch(/Unknown bundle manifest version 2: this reader reads version 1/);
  });

  it("the validator's literals are Complete: an optional field left out does not compile (checked by pnpm typecheck)", () => {
    // @ts-expect-error `better` is missing: validate.ts cannot forget a field of the schema.
    const metric: Complete<BundleMetric> = { id: 'x', title: 'x', values: [] };
    expect(metric.id).toBe('x');
  });

  it('refuses a binary shorter than its ranges, naming the file, the layer and the bytes', () => {
    const cam = manifest().cams[0];
    expect(() => checkFileSizes(cam, { layer: 20, input: 100 }, 'bundle x')).toThrow(
      /'gradcam.input.bin' is 100 bytes, shorter than the manifest says: layer 1 'b' needs bytes \[96, 192\)/,
    );
    try {
      checkFileSizes(cam, { layer: 19, input: 192 }, 'bundle x');
    } catch (e) {
      expect((e as BundleError).code).toBe('short-file');
      expect((e as BundleError).message).toMatch(/'gradcam.layer.bin' is 19 bytes.*layer 1 'b' needs bytes \[16, 20\)/);
      return;
    }
    throw new Error('a short layer file was accepted');
  });
});
