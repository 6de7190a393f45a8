/**
 * gallery.json (cam-methods' eval-folder/schema.ts): the run's images as the viewer's gallery lists
 * them (path, label, prediction, status, per method and metric the value at each layer) and the
 * gallery item of each image scored ok, named only when it is there whole.
 */
import { GALLERY_VERSION, type GalleryImage, type GalleryIndex, type GallerySize } from '@camanim/cam-methods';
import type { GalleryFolder } from './gallery-folder.ts';
import { MAP_MAX, THUMB_MAX, shrunk } from './gallery-item.ts';
import type { ImageRow, RunKey, ScoreRow } from './store.ts';

export interface GalleryRun {
  readonly key: RunKey;
  readonly model: string;
  readonly dataset: string;
  /** The model's class names, by index. */
  readonly classes: readonly string[];
  readonly input: GallerySize;
  readonly images: readonly ImageRow[];
  readonly scores: readonly ScoreRow[];
}

/** Per method its layer names, in layer order, from the score rows. */
export function methodLayers(scores: readonly ScoreRow[]): { method: string; layers: string[] }[] {
  const byMethod = new Map<string, string[]>();
  for (const s of scores) {
    const names = byMethod.get(s.method) ?? [];
    names[s.layer] = s.layerName;
    byMethod.set(s.method, names);
  }
  return [...byMethod].map(([method, layers]) => ({ method, layers: Array.from(layers, (n) => n ?? '') }));
}

export function galleryIndex(run: GalleryRun, folder: GalleryFolder): GalleryIndex {
  const methods = methodLayers(run.scores);
  const maps = methods.reduce((n, m) => n + m.layers.length, 0);
  const scores = new Map<string, Record<string, Record<string, number[]>>>();
  for (const s of run.scores) {
    const of = scores.get(s.imageHash) ?? {};
    const L = methods.find((m) => m.method === s.method)!.layers.length;
    of[s.method] ??= {};
    of[s.method][s.metric] ??= Array(L).fill(Number.NaN);
    of[s.method][s.metric][s.layer] = s.value;
    scores.set(s.imageHash, of);
  }
  const images: GalleryImage[] = run.images.map((i) => ({
    hash: i.imageHash,
    path: i.path,
    label: i.label,
    labelIndex: i.labelIndex,
    predicted: i.predicted,
    status: i.status,
    reason: i.reason,
    file: i.status === 'ok' && folder.has(i.imageHash, maps) ? folder.relative(i.imageHash) : null,
    scores: scores.get(i.imageHash) ?? {},
  }));
  const size = (s: GallerySize) => ({ width: s.width, height: s.height });
  return {
    version: GALLERY_VERSION,
    created: new Date().toISOString(),
    model: run.model,
    dataset: run.dataset,
    run: { modelHash: run.key.modelHash, settingsHash: run.key.settingsHash },
    classes: run.classes,
    input: size(run.input),
    thumb: size(shrunk(run.input, THUMB_MAX)),
    map: size(shrunk(run.input, MAP_MAX)),
    methods,
    images,
  };
}
