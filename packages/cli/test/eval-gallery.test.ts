/**
 * `camanim eval`'s gallery (docs/eval.md): on a small ImageFolder of the bundled samples (6 images,
 * one of them failing at a layer where its CAM is constant), 3 layers. A run SIGKILLed after its
 * first batch leaves an item for every image its store holds and nothing half-written; the rerun
 * scores only the rest and leaves the items already written untouched (same inode and mtime), one
 * per image scored ok. Each item's maps equal `camanim explain`'s CAM of the same image and layer
 * downsampled the same way (galleryMap), and its thumbnail is explain's input.png. A damaged and a
 * deleted item are found by the next run, which scores those two images again and writes them whole.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { GALLERY_FILE, parseGalleryIndex, readGalleryItem } from '@camanim/cam-methods';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_MODEL } from '../src/assets.ts';
import { readBundle } from '../src/bundle.ts';
import { GalleryFolder } from '../src/eval/gallery-folder.ts';
import { galleryMap } from '../src/eval/gallery-item.ts';
import { EvalStore, type ImageRow, type RunKey } from '../src/eval/store.ts';
import { sanitizeName } from '../src/staging.ts';
import { camanim, scratch } from './helpers/cli.ts';
import { imageFolder } from './helpers/image-folder.ts';

const BIN = resolve(import.meta.dirname, '../bin/camanim.js');
const LAYERS = ['--layers', 'stages\\.(1|2|3)\\.0/relu2/Relu_output_0$'];
const EVAL_FLAGS = [...LAYERS, '--percentiles', '50', '--batch', '2'];
const INPUT = { width: 96, height: 96 };

let root: string;
let out: string;
let files: string[];
/** The images the killed run had stored, and their items' inode and mtime then. */
let beforeRerun: Map<string, { ino: number; mtimeMs: number }>;
let rerunErr: string;

function stored(): { key: RunKey; images: ImageRow[]; scores: number } {
  const store = EvalStore.open(join(out, 'eval.sqlite'));
  try {
    const [key] = store.runs();
    return { key, images: store.images(key), scores: store.scores(key).length };
  } finally {
    store.close();
  }
}

function itemStats(key: RunKey, hashes: readonly string[]): Map<string, { ino: number; mtimeMs: number }> {
  const dir = GalleryFolder.open(out, key).dir;
  return new Map(
    hashes.map((h) => {
      const s = statSync(join(dir, `${h}.bin`));
      return [h, { ino: s.ino, mtimeMs: s.mtimeMs }];
    }),
  );
}

beforeAll(async () => {
  const tmp = scratch('camanim-eval-gallery-');
  root = join(tmp, 'dataset');
  files = await imageFolder(root, 1);
  out = join(tmp, 'out');
  // Killed as soon as its first batch is committed (the progress line comes after the store's transaction).
  const signal = await new Promise<string | null>((done, fail) => {
    const child = spawn(process.execPath, [BIN, 'eval', BUNDLED_MODEL, root, '--out', out, ...EVAL_FLAGS], {
      env: { ...process.env, CAMANIM_RAW_STDERR: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d;
      if (/^eval: \d+\/\d+ images/m.test(err)) child.kill('SIGKILL');
    });
    child.on('close', (code, sig) => (sig ? done(sig) : fail(new Error(`eval exited ${code} before the kill: ${err}`))));
  });
  expect(signal).toBe('SIGKILL');
  const killed = stored();
  expect(killed.images.length).toBeGreaterThanOrEqual(2);
  expect(killed.images.length).toBeLessThan(files.length);
  const ok = killed.images.filter((i) => i.status === 'ok').map((i) => i.imageHash);
  const folder = GalleryFolder.open(out, killed.key);
  for (const h of ok) expect(folder.has(h, 3), `item of ${h}`).toBe(true);
  beforeRerun = itemStats(killed.key, ok);
  const again = await camanim(['eval', BUNDLED_MODEL, root, '--out', out, ...EVAL_FLAGS]);
  expect(again.code, again.err).toBe(0);
  rerunErr = again.err;
}, 600_000);

describe('camanim eval gallery', () => {
  it('after a SIGKILL, the rerun scores only the rest and leaves the items written untouched, one per image scored ok', () => {
    const n = beforeRerun.size;
    const { key, images } = stored();
    expect(rerunErr).toMatch(new RegExp(`eval: ${files.length} images \\(\\d+ already in the store\\), \\d+ to score`));
    const [, had, todo] = /\((\d+) already in the store\), (\d+) to score/.exec(rerunErr)!.map(Number);
    expect(had + todo).toBe(files.length);
    expect(had).toBeGreaterThanOrEqual(n);
    expect(images).toHaveLength(files.length);
    const ok = images.filter((i) => i.status === 'ok');
    // The ankle boot's CAM is constant at stage 2: failed, no item.
    expect(images.filter((i) => i.status === 'failed').map((i) => i.path)).toEqual(['ankle-boot/ankle-boot-0.png']);
    const now = itemStats(
      key,
      ok.map((i) => i.imageHash),
    );
    for (const [h, s] of beforeRerun) expect(now.get(h), `item ${h} rewritten`).toEqual(s);
    const dir = GalleryFolder.open(out, key).dir;
    expect(readdirSync(dir).sort()).toEqual(ok.map((i) => `${i.imageHash}.bin`).sort());
    expect(readdirSync(out).filter((f) => f.startsWith('.tmp-'))).toEqual([]);
    const index = parseGalleryIndex(readFileSync(join(out, GALLERY_FILE)), out);
    expect(index.map).toEqual({ width: 48, height: 48 });
    expect(index.thumb).toEqual(INPUT);
    for (const i of index.images) expect(i.file === null).toBe(i.status === 'failed');
  });

  it("holds explain's CAM of each image and layer, downsampled the same way, and explain's input as its thumbnail", async () => {
    const { key, images } = stored();
    const ok = images.filter((i) => i.status === 'ok');
    const ex = join(out, '..', 'explain');
    const r = await camanim([
      'explain',
      ...ok.flatMap((i) => ['--image', join(root, i.path)]),
      ...LAYERS,
      '--format',
      'bundle',
      '--out',
      ex,
      '--quiet',
    ]);
    expect(r.code, r.err).toBe(0);
    const dir = GalleryFolder.open(out, key).dir;
    let worstByte = 0;
    let worstRange = 0;
    for (const i of ok) {
      const item = readGalleryItem(new Uint8Array(readFileSync(join(dir, `${i.imageHash}.bin`))), i.path);
      const bundleDir = join(ex, sanitizeName(basename(i.path, extname(i.path)), 60), 'bundle');
      const { manifest, maps } = await readBundle(bundleDir);
      const cam = manifest.cams[0];
      expect(cam.layers).toHaveLength(3);
      for (const [k, layer] of cam.layers.entries()) {
        const theirs = galleryMap(await maps(cam, layer, 'input'), INPUT);
        const mine = item.map('gradcam', k)!;
        const entry = item.header.maps.find((m) => m.layer === k)!;
        for (let q = 0; q < mine.length; q++) worstByte = Math.max(worstByte, Math.abs(mine[q] - theirs.data[q]));
        worstRange = Math.max(
          worstRange,
          Math.abs(entry.max - theirs.max) / theirs.max,
          Math.abs(entry.min - theirs.min) / theirs.max,
        );
      }
      const thumb = await sharp(Buffer.from(item.png)).raw().toBuffer();
      const input = await sharp(join(bundleDir, manifest.image.file)).removeAlpha().raw().toBuffer();
      expect(thumb.equals(input), `thumbnail of ${i.path}`).toBe(true);
    }
    // Measured on SwiftShader: 0 levels and 0 (eval's batches of 2 against explain's batch of 1); one level allows
    // a GPU whose batched GEMM rounds otherwise to move a value across a rounding boundary.
    expect(worstByte).toBeLessThanOrEqual(1);
    expect(worstRange).toBeLessThan(1e-4);
  }, 300_000);

  it('scores again the images whose item is damaged or deleted, writing them whole; the rest stays as it was', async () => {
    const before = stored();
    const ok = before.images.filter((i) => i.status === 'ok').map((i) => i.imageHash);
    const folder = GalleryFolder.open(out, before.key);
    const [cut, gone, ...kept] = ok;
    truncateSync(join(folder.dir, `${cut}.bin`), 100);
    rmSync(join(folder.dir, `${gone}.bin`));
    const untouched = itemStats(before.key, kept);
    const r = await camanim(['eval', BUNDLED_MODEL, root, '--out', out, ...EVAL_FLAGS]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(
      new RegExp(
        `${files.length} images \\(${files.length} already in the store, 2 of them without their gallery item\\), 2 to score`,
      ),
    );
    expect(folder.has(cut, 3)).toBe(true);
    expect(folder.has(gone, 3)).toBe(true);
    expect(itemStats(before.key, kept)).toEqual(untouched);
    const after = stored();
    expect(after.images).toEqual(before.images);
    expect(after.scores).toBe(before.scores);
  }, 300_000);
});
