/**
 * Writes and reads the result bundle whose schema is cam-methods' bundle module
 * (cam-methods/src/bundle/manifest.ts: the manifest's types, its version, the validator):
 * per explanation (method × target class) the manifest entry and the two float32 binaries.
 * commands/explain.ts's writeBundle writes the manifest typed as BundleManifest.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  checkFileSizes,
  packMaps,
  parseManifest,
  range,
  readMap,
  type BundleCam,
  type BundleLayer,
  type BundleManifest,
  type CamStack,
  type YbRoad,
} from '@camanim/cam-methods';
import { bundleMetrics, type ScoredMetric } from './metrics.ts';
import type { ChosenTarget } from './target.ts';
import { targetText } from './render.ts';

export { packMaps, type BundleCam, type BundleLayer, type BundleManifest };

export interface BundleExplanation {
  readonly stem: string;
  readonly methodTitle: string;
  readonly target: ChosenTarget;
  readonly stack: CamStack;
  readonly ybroad?: YbRoad;
  /** The metrics beside ROAD (explain --metrics); the bundle holds those with a value at every layer (the validator's rule). */
  readonly metrics?: readonly ScoredMetric[];
}

/** The manifest entry and the two binaries of one explanation. */
export function bundleCam(
  ex: BundleExplanation,
  modelLayers: ReadonlyMap<string, { index: number; shape: readonly number[] }>,
): { cam: BundleCam; layerBin: Uint8Array; inputBin: Uint8Array } {
  const layers = ex.stack.layers;
  const raw = packMaps(layers.map((l) => l.raw));
  const up = packMaps(layers.map((l) => l.upsampled));
  const files = { layer: `${ex.stem}.layer.bin`, input: `${ex.stem}.input.bin` };
  const cam: BundleCam = {
    method: ex.stack.method,
    title: ex.methodTitle,
    target: {
      class: ex.target.class,
      label: ex.target.label,
      kind: ex.target.kind,
      ...(ex.target.caption || ex.target.segment ? { caption: targetText(ex.target) } : {}),
    },
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
        ...(l.frames ? { frames: l.frames } : {}),
        min,
        max,
        layer: raw.ranges[k],
        input: up.ranges[k],
      };
    }),
    ...(ex.ybroad ? { ybroad: JSON.parse(JSON.stringify(ex.ybroad)) as YbRoad } : {}),
    ...(ex.metrics?.length ? { metrics: bundleMetrics(ex.metrics) } : {}),
  };
  return { cam, layerBin: raw.bytes, inputBin: up.bytes };
}

/** Reads a bundle back through the validator: the manifest and, per explanation, every layer's maps. */
export async function readBundle(dir: string): Promise<{
  manifest: BundleManifest;
  maps(cam: BundleCam, layer: BundleLayer, which: 'layer' | 'input'): Promise<Float32Array>;
}> {
  const manifest = parseManifest(await readFile(join(dir, 'manifest.json')), dir);
  const cache = new Map<string, Promise<Uint8Array>>();
  const file = (name: string) => cache.get(name) ?? cache.set(name, readFile(join(dir, name))).get(name)!;
  return {
    manifest,
    async maps(cam, layer, which) {
      const [layerBin, inputBin] = await Promise.all([file(cam.files.layer), file(cam.files.input)]);
      checkFileSizes(cam, { layer: layerBin.byteLength, input: inputBin.byteLength }, dir);
      return readMap(which === 'layer' ? layerBin : inputBin, layer[which]);
    },
  };
}
