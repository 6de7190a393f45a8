/**
 * Reads a result bundle (DESIGN.md "A result bundle"; written by packages/cli/src/bundle.ts):
 * manifest.json version 1, per explanation two little-endian float32 files (every layer's CAM
 * at layer resolution and at input resolution, laid end to end) and the input image. Every
 * offset and length in the manifest is checked against the shapes and against the binaries'
 * sizes before a single map is read.
 */
import { TARGET_KINDS, type TargetKind } from '@camanim/cam-methods';
import { CamSet, targetCaption, type CamLayerView, type CamTarget, type Prediction, type YbRoadView } from './CamSet.ts';
import type { BundleSource } from './BundleSource.ts';
import { parseContract } from './ModelContract.ts';
import { RgbImage } from './RgbImage.ts';
import { ViewerError } from './ViewerError.ts';

export const BUNDLE_VERSION = 1;

type Json = Record<string, unknown>;

interface ByteRange {
  byteOffset: number;
  byteLength: number;
}

interface ManifestLayer {
  index: number;
  name: string;
  opType: string;
  shape: number[];
  mapShape: [number, number];
  layer: ByteRange;
  input: ByteRange;
}

interface ManifestCam {
  method: string;
  title: string;
  target: CamTarget;
  score: number;
  probability?: number;
  files: { layer: string; input: string };
  layers: ManifestLayer[];
  ybroad?: unknown;
}

export interface BundleChoice {
  /** Method id, optionally with the class: "gradcam" or "gradcam@7". */
  readonly method?: string;
}

export class BundleReader {
  constructor(private readonly source: BundleSource) {}

  async read(choice: BundleChoice = {}): Promise<CamSet> {
    const src = this.source;
    const manifest = parseManifest(await src.require('manifest.json', 'manifest'), src.description);
    const cams = manifestCams(manifest, src.description);
    const cam = pickCam(cams, choice.method);
    const contract = parseContract(manifest.contract, src.description);
    const image = objectAt(manifest, 'image', src.description);
    const width = positiveInt(image.width, 'image.width', src.description);
    const height = positiveInt(image.height, 'image.height', src.description);
    const imageFile = stringAt(image, 'file', 'image.file', src.description);
    const [layerBin, inputBin] = await Promise.all([src.require(cam.files.layer, 'layer-resolution CAM file'), src.require(cam.files.input, 'input-resolution CAM file')]);
    for (const l of cam.layers) {
      checkRange(l.layer, l.mapShape[0] * l.mapShape[1], layerBin.byteLength, cam.files.layer, l, src.description);
      checkRange(l.input, width * height, inputBin.byteLength, cam.files.input, l, src.description);
    }
    const decoded = await RgbImage.decode(await src.require(imageFile, 'input image'), imageFile);
    const picture = decoded.width === width && decoded.height === height ? decoded : decoded.placed({ width, height, x: 0, y: 0 }, width, height, [0, 0, 0]);
    const layers: CamLayerView[] = cam.layers.map((l, k) => ({
      index: k,
      name: l.name,
      opType: l.opType,
      shape: l.shape,
      mapShape: l.mapShape,
      raw: floats(layerBin, l.layer),
      upsampled: floats(inputBin, l.input),
    }));
    const yb = ybroadOf(cam.ybroad ?? (cam === cams[0] ? manifest.ybroad : undefined), layers.length);
    const model = typeof manifest.model === 'object' && manifest.model ? String((manifest.model as Json).file ?? 'model') : 'model';
    return new CamSet(
      {
        source: `bundle ${src.description}`,
        model,
        method: cam.title || cam.method,
        alternatives: cams.map((c) => ({ id: camId(c, cams), title: `${c.title || c.method} · ${targetCaption(c.target)}` })),
        target: cam.target,
        score: cam.score,
        probability: cam.probability,
        ybroadNote: yb.note,
        contract,
      },
      layers,
      picture,
      predictionOf(manifest.prediction),
      yb.view,
    );
  }
}

/** The id used in ?method=: the method, plus @class when a bundle explains several classes. */
export function camId(cam: { method: string; target: { class: number } }, all: readonly { method: string; target: { class: number } }[]): string {
  const classes = new Set(all.map((c) => c.target.class));
  return classes.size > 1 ? `${cam.method}@${cam.target.class}` : cam.method;
}

function parseManifest(bytes: Uint8Array, where: string): Json {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (cause) {
    throw new ViewerError('bad-bundle', `manifest.json is not valid JSON: ${(cause as Error).message}`, where, 'The bundle is damaged; write it again with camanim explain --format bundle', { cause });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ViewerError('bad-bundle', 'manifest.json is not a JSON object', where, 'The bundle is damaged; write it again with camanim explain --format bundle');
  const m = json as Json;
  if (m.version !== BUNDLE_VERSION) {
    throw new ViewerError('bad-version', `Unknown bundle manifest version ${JSON.stringify(m.version ?? null)}: this viewer reads version ${BUNDLE_VERSION}`, where, 'Open it with a viewer from the same camanim release that wrote it, or write the bundle again');
  }
  if (m.endianness !== undefined && m.endianness !== 'little') throw new ViewerError('bad-bundle', `Unsupported endianness '${String(m.endianness)}'`, where, 'Bundles hold little-endian float32');
  if (m.dtype !== undefined && m.dtype !== 'float32') throw new ViewerError('bad-bundle', `Unsupported dtype '${String(m.dtype)}'`, where, 'Bundles hold little-endian float32');
  return m;
}

function manifestCams(m: Json, where: string): ManifestCam[] {
  const raw = Array.isArray(m.cams) && m.cams.length ? (m.cams as unknown[]) : [m];
  return raw.map((c, k) => parseCam(c, `${where}, cams[${k}]`));
}

function parseCam(value: unknown, where: string): ManifestCam {
  if (typeof value !== 'object' || value === null) throw new ViewerError('bad-bundle', 'An explanation entry is not an object', where, 'The manifest is damaged; write the bundle again');
  const c = value as Json;
  const files = objectAt(c, 'files', where);
  const target = typeof c.target === 'object' && c.target ? (c.target as Json) : {};
  if (!Array.isArray(c.layers) || c.layers.length === 0) throw new ViewerError('bad-bundle', 'The manifest lists no layers', where, 'Write the bundle again; camanim explain needs at least one layer');
  return {
    method: typeof c.method === 'string' ? c.method : 'cam',
    title: typeof c.title === 'string' ? c.title : '',
    target: {
      class: typeof target.class === 'number' ? target.class : -1,
      label: typeof target.label === 'string' ? target.label : `class ${String(target.class)}`,
      kind: targetKind(target.kind, where),
    },
    score: typeof c.score === 'number' ? c.score : NaN,
    probability: typeof c.probability === 'number' ? c.probability : undefined,
    files: { layer: stringAt(files, 'layer', 'files.layer', where), input: stringAt(files, 'input', 'files.input', where) },
    layers: (c.layers as unknown[]).map((l, k) => parseLayer(l, k, where)),
    ybroad: c.ybroad,
  };
}

function parseLayer(value: unknown, k: number, where: string): ManifestLayer {
  const at = `${where}, layers[${k}]`;
  if (typeof value !== 'object' || value === null) throw new ViewerError('bad-bundle', 'A layer entry is not an object', at, 'The manifest is damaged; write the bundle again');
  const l = value as Json;
  const name = typeof l.name === 'string' ? l.name : `layer ${k}`;
  const shape = Array.isArray(l.shape) && l.shape.every((d) => Number.isInteger(d)) ? (l.shape as number[]) : [];
  const ms = Array.isArray(l.mapShape) ? l.mapShape : shape.length === 4 ? [shape[2], shape[3]] : undefined;
  if (!ms || ms.length !== 2 || !ms.every((d) => Number.isInteger(d) && (d as number) > 0)) {
    throw new ViewerError('bad-bundle', `Layer ${k} ('${name}') has no valid mapShape [h, w]`, at, 'Write the bundle again');
  }
  return {
    index: k,
    name,
    opType: typeof l.opType === 'string' ? l.opType : '?',
    shape,
    mapShape: [ms[0] as number, ms[1] as number],
    layer: byteRange(l.layer, `layers[${k}].layer`, at),
    input: byteRange(l.input, `layers[${k}].input`, at),
  };
}

/** The score explained; bundles from before it was recorded explain the logit. */
function targetKind(value: unknown, where: string): TargetKind {
  if (value === undefined) return 'logit';
  if (!(TARGET_KINDS as readonly unknown[]).includes(value)) {
    throw new ViewerError('bad-bundle', `Unknown target kind ${JSON.stringify(value)}: this viewer knows ${TARGET_KINDS.join(', ')}`, where, 'Open it with a viewer from the same camanim release that wrote it');
  }
  return value as TargetKind;
}

function byteRange(value: unknown, what: string, where: string): ByteRange {
  const r = (typeof value === 'object' && value !== null ? value : {}) as Json;
  const ok = (x: unknown) => Number.isSafeInteger(x) && (x as number) >= 0;
  if (!ok(r.byteOffset) || !ok(r.byteLength)) {
    throw new ViewerError('bad-bundle', `${what} needs integer byteOffset and byteLength ≥ 0, got ${JSON.stringify(value ?? null)}`, where, 'The manifest is damaged; write the bundle again');
  }
  return { byteOffset: r.byteOffset as number, byteLength: r.byteLength as number };
}

/** Offsets and lengths against the map's shape and the file's size, before reading. */
function checkRange(r: ByteRange, floatsWanted: number, fileBytes: number, file: string, layer: ManifestLayer, where: string): void {
  const at = `${where}, layer ${layer.index} '${layer.name}'`;
  if (r.byteLength !== floatsWanted * 4) {
    throw new ViewerError('bad-bundle', `'${file}': the manifest gives ${r.byteLength} bytes for a map that needs ${floatsWanted} float32 values (${floatsWanted * 4} bytes)`, at, 'The manifest is damaged; write the bundle again');
  }
  if (r.byteOffset % 4 !== 0) throw new ViewerError('bad-bundle', `'${file}': byte offset ${r.byteOffset} is not a multiple of 4`, at, 'The manifest is damaged; write the bundle again');
  if (r.byteOffset + r.byteLength > fileBytes) {
    throw new ViewerError('short-file', `'${file}' is ${fileBytes} bytes, shorter than the manifest says: this layer needs bytes [${r.byteOffset}, ${r.byteOffset + r.byteLength})`, at, 'The file is truncated (an interrupted copy or download?); copy the bundle again');
  }
}

/** Little-endian float32 (every browser is little-endian; checked once): a view when aligned. */
function floats(bytes: Uint8Array, r: ByteRange): Float32Array {
  if (LITTLE_ENDIAN && (bytes.byteOffset + r.byteOffset) % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset + r.byteOffset, r.byteLength / 4);
  if (LITTLE_ENDIAN) return new Float32Array(bytes.slice(r.byteOffset, r.byteOffset + r.byteLength).buffer);
  const view = new DataView(bytes.buffer, bytes.byteOffset + r.byteOffset, r.byteLength);
  return Float32Array.from({ length: r.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function pickCam(cams: ManifestCam[], wanted?: string): ManifestCam {
  if (!wanted) return cams[0];
  return cams.find((c) => camId(c, cams) === wanted) ?? cams.find((c) => c.method === wanted.split('@')[0]) ?? cams[0];
}

/**
 * ybROAD as the CLI writes it with --ybroad: { series, max: { layer, value }, mean }, series
 * either ROAD numbers or cam-methods' RoadScore objects ({ road }).
 */
function ybroadOf(value: unknown, layers: number): { view?: YbRoadView; note?: string } {
  const missing = 'No ybROAD in this bundle: run camanim explain with --ybroad to score every layer with ROAD';
  if (value === undefined || value === null) return { note: missing };
  const y = value as Json;
  const series = Array.isArray(y.series) ? (y.series as unknown[]).map((s) => (typeof s === 'number' ? s : typeof s === 'object' && s !== null ? Number((s as Json).road) : NaN)) : [];
  if (series.length !== layers || series.some((v) => !Number.isFinite(v))) {
    return { note: `The bundle's ybROAD has ${series.length} values for ${layers} layers (or non-numbers): not shown` };
  }
  let best = 0;
  series.forEach((v, k) => v > series[best] && (best = k));
  const max = typeof y.max === 'object' && y.max !== null ? (y.max as Json) : {};
  const layer = Number.isInteger(max.layer) && (max.layer as number) >= 0 && (max.layer as number) < layers ? (max.layer as number) : best;
  const mean = typeof y.mean === 'number' ? y.mean : series.reduce((a, b) => a + b, 0) / layers;
  return { view: { values: series, max: { layer, value: series[layer] }, mean } };
}

function predictionOf(value: unknown): Prediction[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter((p): p is Json => typeof p === 'object' && p !== null && typeof (p as Json).class === 'number')
    .map((p) => ({ class: p.class as number, label: typeof p.label === 'string' ? p.label : `class ${String(p.class)}`, probability: typeof p.probability === 'number' ? p.probability : NaN, logit: typeof p.logit === 'number' ? p.logit : undefined }));
}

function objectAt(o: Json, key: string, where: string): Json {
  const v = o[key];
  if (typeof v !== 'object' || v === null) throw new ViewerError('bad-bundle', `The manifest has no '${key}' object`, where, 'The manifest is damaged; write the bundle again');
  return v as Json;
}

function stringAt(o: Json, key: string, what: string, where: string): string {
  const v = o[key];
  if (typeof v !== 'string' || !v) throw new ViewerError('bad-bundle', `The manifest has no '${what}' file name`, where, 'The manifest is damaged; write the bundle again');
  return v;
}

function positiveInt(v: unknown, what: string, where: string): number {
  if (!Number.isInteger(v) || (v as number) <= 0) throw new ViewerError('bad-bundle', `The manifest's ${what} must be a positive integer, got ${JSON.stringify(v ?? null)}`, where, 'The manifest is damaged; write the bundle again');
  return v as number;
}
