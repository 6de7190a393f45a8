/**
 * The float64 Grad-CAM references the fixture scripts write (tools/segment_reference.py,
 * vit_reference.py, convnext_reference.py, swin_reference.py) and how the CLI tests hold camanim's maps to them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { expect } from 'vitest';
import { readBundle } from '../../src/bundle.ts';
import { camanim } from './cli.ts';

export const FIXTURES = resolve(import.meta.dirname, '../fixtures/contract');

/** One layer's map as the scripts write it: the map before pytorch-grad-cam's ReLU and scaling. */
export interface ReferenceMap {
  name: string;
  shape: [number, number];
  raw: number[];
}

/** The reference `file` in FIXTURES; when missing, an error naming the `script` under tools/ that makes it. */
export function readReference<T>(file: string, what: string, script: string): T {
  const path = join(FIXTURES, file);
  if (!existsSync(path))
    throw new Error(`The ${what} reference is missing (${path}); make it with: /usr/bin/python3 tools/${script}`);
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** The largest |got − want| over a map, and the largest |want| (the scale errors are measured against). */
export function mapError(got: ArrayLike<number>, want: ReferenceMap): { worst: number; scale: number } {
  const scale = Math.max(...want.raw.map(Math.abs));
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want.raw[i]));
  return { worst, scale };
}

/**
 * `camanim explain` of a classifier on a fixture image at the imagenet preset, stretched (the
 * image is the input's size, so no resampling: the preset's 224/256 crop would resample it),
 * as a bundle under `out`, checked to say nothing on stderr; the bundle read back.
 */
export async function explainAtInputSize(model: string, image: string, out: string): ReturnType<typeof readBundle> {
  const r = await camanim([
    'explain',
    '--model',
    model,
    '--image',
    image,
    '--preset',
    'imagenet',
    '--resize',
    'stretch',
    '--out',
    out,
    '--format',
    'bundle',
    '--quiet',
  ]);
  expect(r.err).toBe('');
  return readBundle(join(out, basename(image, '.png'), 'bundle'));
}

/** A classifier's reference (vit/convnext/swin_reference.py): its class, logits and layers' maps. */
export interface ClassifierReference {
  category: number;
  logits: number[];
  layers: ReferenceMap[];
}

/**
 * `explainAtInputSize` of `model` on the 32×32 fixture image: the reference's class, and at each
 * of its layers the map's h×w and every value within `tol` of the map's largest |value|.
 */
export async function expectReferenceMaps(model: string, ref: ClassifierReference, out: string, tol: number): Promise<void> {
  const { manifest, maps } = await explainAtInputSize(join(FIXTURES, model), join(FIXTURES, 'image-32x32.png'), out);
  expect(manifest.target.class).toBe(ref.category);
  for (const want of ref.layers) {
    const layer = manifest.cams[0].layers.find((l) => l.name === want.name);
    expect(layer, want.name).toBeDefined();
    expect(layer!.mapShape, want.name).toEqual(want.shape);
    const { worst, scale } = mapError(await maps(manifest.cams[0], layer!, 'layer'), want);
    expect(worst / scale, want.name).toBeLessThan(tol);
  }
}
