/**
 * The bundled default: packages/cli/assets/fashion-canvas.onnx, its JSON (labels,
 * preprocessing, input size) and the sample images in assets/samples/ (the first one is the
 * first entry of samples/boxes.json when present, else the first image by name).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliError } from './errors.ts';

export const ASSETS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'assets');
export const BUNDLED_MODEL = join(ASSETS_DIR, 'fashion-canvas.onnx');
const SAMPLES_DIR = join(ASSETS_DIR, 'samples');
const IMAGE_EXT = /\.(png|jpe?g|webp)$/i;

/** The bundled model's path (`file` is where it should be), or a clear error when it is missing. */
export function bundledModel(file = BUNDLED_MODEL): string {
  if (!existsSync(file)) {
    throw cliError(
      'The bundled default model is missing',
      { file },
      'Pass a model with --model m.onnx (the bundled one is produced by tools/train_bundled.py)',
      'not-found',
    );
  }
  return file;
}

/** Sample images in their listed order. */
export function bundledSamples(): string[] {
  if (!existsSync(SAMPLES_DIR)) return [];
  const files = readdirSync(SAMPLES_DIR)
    .filter((f) => IMAGE_EXT.test(f))
    .sort();
  let listed: string[] = [];
  try {
    const boxes = JSON.parse(readFileSync(join(SAMPLES_DIR, 'boxes.json'), 'utf8')) as { samples?: { file?: unknown }[] };
    listed = (boxes.samples ?? []).map((s) => s.file).filter((f): f is string => typeof f === 'string' && files.includes(f));
  } catch {
    // No (readable) listing: name order.
  }
  return [...listed, ...files.filter((f) => !listed.includes(f))].map((f) => join(SAMPLES_DIR, f));
}

export function defaultImage(): string {
  const [first] = bundledSamples();
  if (!first)
    throw cliError(
      'No image given and no bundled sample image found',
      { file: SAMPLES_DIR },
      'Pass one with --image photo.png',
      'not-found',
    );
  return first;
}
