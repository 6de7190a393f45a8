/**
 * What the detector tests share (detect-ssdlite.test.ts, detect-fasterrcnn.test.ts): the part of
 * their float64 references that torchvision's post-processing and the box-score target give, the
 * image as the detectors take it, and the checks of camanim's detections and per-layer maps.
 */
import sharp from 'sharp';
import { expect } from 'vitest';
import type { Detection } from '@camanim/core';
import type { readBundle } from '../../src/bundle.ts';
import { mapError, type ReferenceMap } from './references.ts';

type Bundle = Awaited<ReturnType<typeof readBundle>>;

/** torchvision's detections and the box-score targets of the references (tools/*_reference.py). */
export interface DetectionReference {
  size: number;
  classes: number;
  detections: { label: number; score: number; box: number[] }[];
  count: number;
  targets: { box: number; label: number; score: number; value: number; matched: number[]; layers: ReferenceMap[] }[];
}

/** The image as torchvision's detectors take it: pixels / 255, [3, H, W] (they normalise inside the graph). */
export async function detectorInput(file: string): Promise<Float32Array> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const n = info.width * info.height;
  const x = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) x[c * n + i] = data[3 * i + c] / 255;
  return x;
}

/** Every detection torchvision's, in its order and labels; returns the worst score and corner errors. */
export function detectionErrors(got: readonly Detection[], ref: DetectionReference): { score: number; box: number } {
  expect(got.length).toBe(ref.count);
  let [score, box] = [0, 0];
  for (const [i, want] of ref.detections.entries()) {
    expect(got[i].class, `detection ${i}`).toBe(want.label);
    score = Math.max(score, Math.abs(got[i].score - want.score));
    for (let c = 0; c < 4; c++) box = Math.max(box, Math.abs(got[i].box[c] - want.box[c]));
  }
  return { score, box };
}

/**
 * Each reference layer's map against camanim's (`mapOf`: undefined when camanim has no such layer),
 * relative to the map's largest |value| below `tol`; a map that is 0 in the reference is 0 here.
 */
export async function expectLayerMaps(
  layers: readonly ReferenceMap[],
  mapOf: (w: ReferenceMap) => Promise<ArrayLike<number> | undefined>,
  tol: number,
): Promise<void> {
  for (const w of layers) {
    const got = await mapOf(w);
    expect(got, w.name).toBeDefined();
    const e = mapError(got!, w);
    if (e.scale === 0) expect(e.worst, w.name).toBe(0);
    else expect(e.worst / e.scale, w.name).toBeLessThan(tol);
  }
}

/** A bundle's layer map by the reference layer's name, its shape checked (for expectLayerMaps). */
export function bundleMap(b: Bundle, cam: Bundle['manifest']['cams'][number]) {
  return async (w: ReferenceMap): Promise<Float32Array | undefined> => {
    const layer = cam.layers.find((l) => l.name === w.name);
    if (!layer) return undefined;
    expect(layer.mapShape, w.name).toEqual(w.shape);
    return b.maps(cam, layer, 'layer');
  };
}
