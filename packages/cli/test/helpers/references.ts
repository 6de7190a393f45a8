/**
 * The float64 Grad-CAM references the fixture scripts write (tools/segment_reference.py,
 * vit_reference.py, convnext_reference.py) and how the CLI tests hold camanim's maps to them.
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
  if (!existsSync(path)) throw new Error(`The ${what} reference is missing (${path}); make it with: /usr/bin/python3 tools/${script}`);
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
  const r = await camanim(['explain', '--model', model, '--image', image, '--preset', 'imagenet', '--resize', 'stretch', '--out', out, '--format', 'bundle', '--quiet']);
  expect(r.err).toBe('');
  return readBundle(join(out, basename(image, '.png'), 'bundle'));
}
