/**
 * The result bundle (DESIGN.md): a folder with manifest.json, the input image the model saw
 * (input.png) and, per explanation (method × target class), two little-endian float32 files:
 * every layer's CAM at layer resolution (`<stem>.layer.bin`) and at input resolution
 * (`<stem>.input.bin`), before ReLU and normalization. The manifest gives each layer's byte
 * offset and length in both. Top-level `method`, `target`, `score`, `files` and `layers`
 * describe the first explanation; `cams` lists all of them.
 */
import type { ModelContract } from '@camanim/core';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { range, type CamStack, type TargetKind, type YbRoad } from '@camanim/cam-methods';
import type { ChosenTarget } from './target.ts';

export interface ByteRange {
  readonly byteOffset: number;
  readonly byteLength: number;
}

export interface BundleLayer {
  /** Position in the animation (0-based). */
  readonly index: number;
  /** Position among all of the model's layers (`camanim layers`). */
  readonly modelIndex: number;
  readonly name: string;
  readonly opType: string;
  /** The layer output's shape in the model. */
  readonly shape: readonly number[];
  /** [h, w] of the map at layer resolution. */
  readonly mapShape: readonly [number, number];
  /** Range of the raw CAM (before ReLU and normalization) at layer resolution. */
  readonly min: number;
  readonly max: number;
  readonly layer: ByteRange;
  readonly input: ByteRange;
}

export interface BundleCam {
  readonly method: string;
  readonly title: string;
  /** `kind`: the score explained (--target; 'logit' in bundles from before it). */
  readonly target: { class: number; label: string; kind: TargetKind };
  /** The target's value (the logit, probability or ReST). */
  readonly score: number;
  readonly probability: number;
  readonly files: { layer: string; input: string };
  readonly layers: readonly BundleLayer[];
  /** cam-methods' YbRoad (explain --ybroad); the viewer's ROAD chart. */
  readonly ybroad?: YbRoad;
}

export interface BundleManifest {
  readonly version: 1;
  readonly generator: string;
  readonly created: string;
  readonly model: { file: string; path: string; input: { name: string; shape: readonly number[] }; output: { name: string; shape: readonly number[] }; classes: number };
  readonly image: { source: string; file: string; width: number; height: number; original: { width: number; height: number } };
  readonly inputShape: readonly number[];
  /** How the image became the input and which scores are explained (core's ModelContract), and its one-line summary. */
  readonly contract: ModelContract & { readonly summary: string };
  /** `logit`: the explained score; `probability`: the model's own (its final activation, or a softmax of the scores). */
  readonly prediction: readonly { class: number; label: string; logit: number; probability: number }[];
  readonly normalization: string;
  readonly colormap: string;
  readonly endianness: 'little';
  readonly dtype: 'float32';
  readonly method: string;
  readonly methods: readonly string[];
  readonly target: BundleCam['target'];
  readonly score: number;
  readonly files: BundleCam['files'];
  readonly layers: readonly BundleLayer[];
  readonly cams: readonly BundleCam[];
  /** ybROAD of the first explanation (cams[0].ybroad). */
  readonly ybroad?: YbRoad;
}

export interface BundleExplanation {
  readonly stem: string;
  readonly methodTitle: string;
  readonly target: ChosenTarget;
  readonly stack: CamStack;
  readonly ybroad?: YbRoad;
}

/** Float32 little-endian bytes of maps laid end to end, and each one's byte range. */
export function packMaps(maps: readonly Float32Array[]): { bytes: Uint8Array; ranges: ByteRange[] } {
  const total = maps.reduce((a, m) => a + m.length, 0);
  const bytes = new Uint8Array(total * 4);
  const view = new DataView(bytes.buffer);
  const ranges: ByteRange[] = [];
  let offset = 0;
  for (const m of maps) {
    ranges.push({ byteOffset: offset, byteLength: m.length * 4 });
    for (let i = 0; i < m.length; i++, offset += 4) view.setFloat32(offset, m[i], true);
  }
  return { bytes, ranges };
}

/** The manifest entry and the two binaries of one explanation. */
export function bundleCam(ex: BundleExplanation, modelLayers: ReadonlyMap<string, { index: number; shape: readonly number[] }>): { cam: BundleCam; layerBin: Uint8Array; inputBin: Uint8Array } {
  const layers = ex.stack.layers;
  const raw = packMaps(layers.map((l) => l.raw));
  const up = packMaps(layers.map((l) => l.upsampled));
  const files = { layer: `${ex.stem}.layer.bin`, input: `${ex.stem}.input.bin` };
  const cam: BundleCam = {
    method: ex.stack.method,
    title: ex.methodTitle,
    target: { class: ex.target.class, label: ex.target.label, kind: ex.target.kind },
    score: ex.stack.scores[0],
    probability: ex.target.probability,
    files,
    layers: layers.map((l, k) => {
      const { min, max } = range(l.raw);
      const info = modelLayers.get(l.name);
      return {
        index: k,
        modelIndex: info?.index ?? -1,
        name: l.name,
        opType: l.opType,
        shape: info?.shape ?? l.shape,
        mapShape: [l.shape[2], l.shape[3]] as const,
        min,
        max,
        layer: raw.ranges[k],
        input: up.ranges[k],
      };
    }),
    ...(ex.ybroad ? { ybroad: JSON.parse(JSON.stringify(ex.ybroad)) as YbRoad } : {}),
  };
  return { cam, layerBin: raw.bytes, inputBin: up.bytes };
}

/** Reads a bundle back: the manifest and, per explanation, every layer's maps. */
export async function readBundle(dir: string): Promise<{ manifest: BundleManifest; maps(cam: BundleCam, layer: BundleLayer, which: 'layer' | 'input'): Promise<Float32Array> }> {
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as BundleManifest;
  const cache = new Map<string, Buffer>();
  return {
    manifest,
    async maps(cam, layer, which) {
      const file = cam.files[which];
      if (!cache.has(file)) cache.set(file, await readFile(join(dir, file)));
      const buf = cache.get(file)!;
      const { byteOffset, byteLength } = layer[which];
      const view = new DataView(buf.buffer, buf.byteOffset + byteOffset, byteLength);
      return Float32Array.from({ length: byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
    },
  };
}
