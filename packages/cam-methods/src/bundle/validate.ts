/**
 * The one reader of a bundle manifest (manifest.ts): JSON in, a typed BundleManifest out, or a
 * BundleError naming the field, the explanation and the layer. Every byte range is checked
 * against its map's shape (h·w or H·W float32, 4-byte aligned, no two overlapping) here, and
 * against the binaries' sizes by `checkFileSizes` once they are known, before any map is read.
 * Each object literal below is `Complete<T>`: a field added to the schema fails to compile
 * until it is read here.
 */
import { TARGET_KINDS } from '../captions.ts';
import type { RoadScore, RoadSettings, YbRoad } from '../metrics/road-score.ts';
import { readContract } from './contract.ts';
import { Fields } from './fields.ts';
import {
  BUNDLE_VERSION,
  BundleError,
  type BundleCam,
  type BundleImage,
  type BundleLayer,
  type BundleManifest,
  type BundleMetric,
  type BundleModel,
  type BundlePrediction,
  type BundleTarget,
  type ByteRange,
  type Complete,
} from './manifest.ts';

/** manifest.json's bytes (or text), parsed and validated; `where` names the bundle in messages. */
export function parseManifest(bytes: Uint8Array | string, where: string): BundleManifest {
  let json: unknown;
  try {
    json = JSON.parse(typeof bytes === 'string' ? bytes : new TextDecoder().decode(bytes));
  } catch (cause) {
    throw new BundleError('bad-bundle', `manifest.json is not valid JSON: ${(cause as Error).message}`, where);
  }
  return validateManifest(json, where);
}

export function validateManifest(json: unknown, where: string): BundleManifest {
  const f = new Fields(where);
  const m = f.object(json, '(root)');
  if (m.version !== BUNDLE_VERSION) {
    throw new BundleError(
      'bad-version',
      `Unknown bundle manifest version ${JSON.stringify(m.version ?? null)}: this reader reads version ${BUNDLE_VERSION}`,
      where,
      'Open it with a viewer from the same camanim release that wrote it, or write the bundle again',
    );
  }
  const image = readImage(f, m.image);
  const cams = f.array(m.cams, 'cams', true).map((c, k) => readCam(new Fields(`${where}, cams[${k}]`), c, `cams[${k}]`, image));
  const first = cams[0];
  const out: Complete<BundleManifest> = {
    version: BUNDLE_VERSION,
    generator: f.string(m.generator, 'generator'),
    created: f.string(m.created, 'created'),
    model: readModel(f, m.model),
    image,
    inputShape: f.ints(m.inputShape, 'inputShape', undefined, 0),
    contract: readContract(f, m.contract),
    prediction: f.array(m.prediction, 'prediction').map((p, k) => readPrediction(f, p, `prediction[${k}]`)),
    normalization: f.string(m.normalization, 'normalization'),
    colormap: f.string(m.colormap, 'colormap'),
    endianness: f.oneOf(m.endianness, 'endianness', ['little'] as const),
    dtype: f.oneOf(m.dtype, 'dtype', ['float32'] as const),
    // The top level repeats the first explanation for readers of one; cams[0] is what counts.
    method: first.method,
    methods: [...new Set(cams.map((c) => c.method))],
    target: first.target,
    score: first.score,
    files: first.files,
    layers: first.layers,
    cams,
    ybroad: first.ybroad,
  };
  return out;
}

/** Every layer's ranges of `cam` inside its files (byte sizes), before a map is read. */
export function checkFileSizes(cam: BundleCam, sizes: { readonly layer: number; readonly input: number }, where: string): void {
  for (const l of cam.layers) {
    for (const which of ['layer', 'input'] as const) {
      const r = l[which];
      const end = r.byteOffset + r.byteLength;
      if (end > sizes[which]) {
        throw new BundleError(
          'short-file',
          `'${cam.files[which]}' is ${sizes[which]} bytes, shorter than the manifest says: layer ${l.index} '${l.name}' needs bytes [${r.byteOffset}, ${end})`,
          where,
          'The file is truncated (an interrupted copy or download?); copy the bundle again',
        );
      }
    }
  }
}

function readModel(f: Fields, v: unknown): BundleModel {
  const m = f.object(v, 'model');
  const io = (x: unknown, name: string) => {
    const o = f.object(x, name);
    return { name: f.string(o.name, `${name}.name`), shape: f.ints(o.shape, `${name}.shape`, undefined, 0) };
  };
  const out: Complete<BundleModel> = {
    file: f.string(m.file, 'model.file'),
    path: f.string(m.path, 'model.path'),
    input: io(m.input, 'model.input'),
    output: io(m.output, 'model.output'),
    classes: f.int(m.classes, 'model.classes', 0),
  };
  return out;
}

function readImage(f: Fields, v: unknown): BundleImage {
  const i = f.object(v, 'image');
  const original = f.object(i.original, 'image.original');
  const out: Complete<BundleImage> = {
    source: f.string(i.source, 'image.source'),
    file: f.string(i.file, 'image.file', true),
    width: f.int(i.width, 'image.width', 1),
    height: f.int(i.height, 'image.height', 1),
    original: {
      width: f.int(original.width, 'image.original.width', 1),
      height: f.int(original.height, 'image.original.height', 1),
    },
    frames:
      i.frames === undefined
        ? undefined
        : f.array(i.frames, 'image.frames', true).map((x, k) => f.string(x, `image.frames[${k}]`, true)),
  };
  return out;
}

function readPrediction(f: Fields, v: unknown, name: string): BundlePrediction {
  const p = f.object(v, name);
  const out: Complete<BundlePrediction> = {
    class: f.int(p.class, `${name}.class`, 0),
    label: f.string(p.label, `${name}.label`),
    logit: f.number(p.logit, `${name}.logit`),
    probability: f.number(p.probability, `${name}.probability`),
  };
  return out;
}

function readTarget(f: Fields, v: unknown, name: string): BundleTarget {
  const t = f.object(v, name);
  const out: Complete<BundleTarget> = {
    class: f.int(t.class, `${name}.class`, 0),
    label: f.string(t.label, `${name}.label`),
    // Bundles from before --target explain the logit.
    kind: t.kind === undefined ? 'logit' : f.oneOf(t.kind, `${name}.kind`, TARGET_KINDS),
    caption: t.caption === undefined ? undefined : f.string(t.caption, `${name}.caption`),
  };
  return out;
}

function readCam(f: Fields, v: unknown, name: string, image: BundleImage): BundleCam {
  const c = f.object(v, name);
  const files = f.object(c.files, `${name}.files`);
  const layers = f.array(c.layers, `${name}.layers`, true).map((l, k) => readLayer(f, l, k, `${name}.layers[${k}]`, image));
  checkNoOverlap(f, layers, 'layer', name);
  checkNoOverlap(f, layers, 'input', name);
  const out: Complete<BundleCam> = {
    method: f.string(c.method, `${name}.method`, true),
    title: f.string(c.title, `${name}.title`),
    target: readTarget(f, c.target, `${name}.target`),
    score: f.number(c.score, `${name}.score`),
    probability: f.number(c.probability, `${name}.probability`),
    files: {
      layer: f.string(files.layer, `${name}.files.layer`, true),
      input: f.string(files.input, `${name}.files.input`, true),
    },
    layers,
    ybroad: c.ybroad === undefined || c.ybroad === null ? undefined : readYbRoad(f, c.ybroad, `${name}.ybroad`, layers.length),
    metrics:
      c.metrics === undefined
        ? undefined
        : f.array(c.metrics, `${name}.metrics`).map((x, k) => readMetric(f, x, `${name}.metrics[${k}]`, layers.length)),
  };
  return out;
}

function readLayer(f: Fields, v: unknown, k: number, name: string, image: BundleImage): BundleLayer {
  const l = f.object(v, name);
  const [h, w] = f.ints(l.mapShape, `${name}.mapShape`, 2, 1);
  const frames = l.frames === undefined ? undefined : f.int(l.frames, `${name}.frames`, 1);
  const [t, T] = [frames ?? 1, image.frames?.length ?? 1];
  const out: Complete<BundleLayer> = {
    index: k,
    modelIndex: f.int(l.modelIndex, `${name}.modelIndex`, -1),
    name: f.string(l.name, `${name}.name`, true),
    opType: f.string(l.opType, `${name}.opType`, true),
    shape: f.ints(l.shape, `${name}.shape`, undefined, 0),
    mapShape: [h, w],
    frames,
    min: f.number(l.min, `${name}.min`),
    max: f.number(l.max, `${name}.max`),
    layer: readRange(f, l.layer, `${name}.layer`, t * h * w, `its ${t > 1 ? `${t} frames of ` : ''}${h}×${w} map`),
    input: readRange(
      f,
      l.input,
      `${name}.input`,
      T * image.width * image.height,
      `the ${T > 1 ? `${T} frames of ` : ''}${image.height}×${image.width} input`,
    ),
  };
  if (l.index !== undefined && l.index !== k) f.fail(`${name}.index`, `must be its position ${k}`, l.index);
  return out;
}

/** A range of `floats` float32 values, 4-byte aligned. */
function readRange(f: Fields, v: unknown, name: string, floats: number, what: string): ByteRange {
  const r = f.object(v, name);
  const out: Complete<ByteRange> = {
    byteOffset: f.int(r.byteOffset, `${name}.byteOffset`, 0),
    byteLength: f.int(r.byteLength, `${name}.byteLength`, 0),
  };
  if (out.byteOffset % 4 !== 0) f.fail(`${name}.byteOffset`, 'must be a multiple of 4 (float32)', out.byteOffset);
  if (out.byteLength !== floats * 4)
    f.fail(`${name}.byteLength`, `must be ${floats * 4} (${floats} float32 values for ${what})`, out.byteLength);
  return out;
}

function checkNoOverlap(f: Fields, layers: readonly BundleLayer[], which: 'layer' | 'input', name: string): void {
  const sorted = [...layers].sort((a, b) => a[which].byteOffset - b[which].byteOffset);
  for (let k = 1; k < sorted.length; k++) {
    const [a, b] = [sorted[k - 1], sorted[k]];
    if (a[which].byteOffset + a[which].byteLength > b[which].byteOffset) {
      f.fail(
        `${name}.layers[${b.index}].${which}.byteOffset`,
        `must not fall inside layer ${a.index}'s bytes [${a[which].byteOffset}, ${a[which].byteOffset + a[which].byteLength})`,
        b[which].byteOffset,
      );
    }
  }
}

function readYbRoad(f: Fields, v: unknown, name: string, layers: number): YbRoad {
  const y = f.object(v, name);
  const series = f.array(y.series, `${name}.series`);
  if (series.length !== layers)
    f.fail(`${name}.series`, `must hold one ROAD score per layer (${layers})`, `${series.length} entries`);
  const max = f.object(y.max, `${name}.max`);
  const out: Complete<YbRoad> = {
    series: series.map((s, k) => readRoadScore(f, s, `${name}.series[${k}]`)),
    max: {
      layer: f.int(max.layer, `${name}.max.layer`, 0),
      name: f.string(max.name, `${name}.max.name`),
      value: f.finite(max.value, `${name}.max.value`),
    },
    mean: f.finite(y.mean, `${name}.mean`),
    // What ROAD ran with, recorded for people and passed on as written.
    settings: f.object(y.settings, `${name}.settings`) as unknown as RoadSettings,
  };
  if (out.max.layer >= layers) f.fail(`${name}.max.layer`, `must be a layer index < ${layers}`, out.max.layer);
  return out;
}

function readRoadScore(f: Fields, v: unknown, name: string): RoadScore {
  const s = f.object(v, name);
  const percentiles = f.numbers(s.percentiles, `${name}.percentiles`);
  const n = percentiles.length;
  const removed = f.object(s.removed, `${name}.removed`);
  const out: Complete<RoadScore> = {
    percentiles,
    morf: f.numbers(s.morf, `${name}.morf`, n),
    lerf: f.numbers(s.lerf, `${name}.lerf`, n),
    combined: f.numbers(s.combined, `${name}.combined`, n),
    road: f.finite(s.road, `${name}.road`),
    removed: {
      morf: f.numbers(removed.morf, `${name}.removed.morf`, n),
      lerf: f.numbers(removed.lerf, `${name}.removed.lerf`, n),
    },
  };
  return out;
}

function readMetric(f: Fields, v: unknown, name: string, layers: number): BundleMetric {
  const m = f.object(v, name);
  const out: Complete<BundleMetric> = {
    id: f.string(m.id, `${name}.id`, true),
    title: f.string(m.title, `${name}.title`, true),
    better: f.oneOf(m.better, `${name}.better`, ['higher', 'lower'] as const),
    values: f.numbersOrNull(m.values, `${name}.values`, layers),
  };
  return out;
}
