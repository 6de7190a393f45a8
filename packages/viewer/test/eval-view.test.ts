/**
 * The viewer on an eval folder (issue #16 item 6, issue #18 item 3), made by running `camanim eval`
 * on a small ImageFolder of the bundled samples (6 images, one failing: its CAM is constant at
 * stage 2), 3 layers: the curve's points are aggregates.json's means and its band's bounds are their
 * intervals (read back from the drawn geometry); pressing a layer on the chart shows one tile per
 * image scored ok, each with gallery.json's label, prediction and value at that layer and the very
 * map of its gallery item, painted as the viewer's Colormap paints it over the thumbnail; sorting and
 * the class filter reorder and narrow the tiles; a dropped folder opens the same way; a truncated
 * aggregates.json is one clear message, and a truncated gallery item is a message in its tile.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAggregates, parseGalleryIndex, readGalleryItem, type Aggregates, type GalleryIndex } from '@camanim/cam-methods';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { imageFolder } from '../../cli/test/helpers/image-folder.ts';
import { Colormap } from '../src/Colormap.ts';
import type { GalleryTile } from '../src/EvalGallery.ts';
import { VIEWER, api, decodedInPage, startSession, type ViewerSession } from './helpers/harness.ts';

const CLI = resolve(VIEWER, '../cli/bin/camanim.js');
const BUNDLED = resolve(VIEWER, '../cli/assets/fashion-canvas.onnx');

let root: string;
let session: ViewerSession;
let agg: Aggregates;
let gallery: GalleryIndex;

function runCli(args: string[]): Promise<void> {
  return new Promise((ok, fail) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 400_000, maxBuffer: 1 << 24 }, (err, stdout, stderr) =>
      err ? fail(new Error(`camanim ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`)) : ok(),
    );
  });
}

/** Waits until the eval view is settled: nothing loading, every gallery item fetched. */
async function evalSettled(p: Page, layer?: number): Promise<string> {
  await p.waitForFunction(
    (k) => {
      const c = window.camanim;
      return (
        c &&
        (c.state === 'error' ||
          (c.state === 'ready' && c.eval !== null && c.eval.pending === 0 && (k === null || c.eval.layer === k)))
      );
    },
    layer ?? null,
    { timeout: 120_000, polling: 100 },
  );
  return p.evaluate(() => window.camanim.state);
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'camanim-eval-view-'));
  await imageFolder(join(root, 'dataset'), 1);
  const out = join(root, 'out');
  await runCli([
    'eval',
    BUNDLED,
    join(root, 'dataset'),
    '--out',
    out,
    '--layers',
    'stages\\.(1|2|3)\\.0/relu2/Relu_output_0$',
    '--percentiles',
    '50',
    '--quiet',
  ]);
  agg = parseAggregates(readFileSync(join(out, 'aggregates.json')), out);
  gallery = parseGalleryIndex(readFileSync(join(out, 'gallery.json')), out);
  // A truncated aggregates.json (an interrupted copy).
  mkdirSync(join(root, 'broken'));
  const text = readFileSync(join(out, 'aggregates.json'));
  writeFileSync(join(root, 'broken', 'aggregates.json'), text.subarray(0, text.length >> 1));
  // A gallery item cut short.
  cpSync(out, join(root, 'cut'), { recursive: true });
  const first = gallery.images.find((i) => i.file !== null)!;
  truncateSync(join(root, 'cut', first.file!), 5000);
  session = await startSession(root);
}, 600_000);

afterAll(async () => {
  await session?.close();
  if (root) rmSync(root, { recursive: true, force: true });
  expect(session?.errors ?? []).toEqual([]);
});

test("the curve's points are aggregates.json's means and its band spans their intervals", async () => {
  const p = await session.page('?eval=b/out/');
  expect(await evalSettled(p)).toBe('ready');
  const stats = agg.methods[0].layers.map((l) => l.stats);
  expect(stats).toHaveLength(3);
  const points = await p.locator('#chart circle.point').evaluateAll((els) =>
    els.map((e) => ({
      k: Number(e.getAttribute('data-layer')),
      v: Number(e.getAttribute('data-value')),
      cx: Number(e.getAttribute('cx')),
      cy: Number(e.getAttribute('cy')),
    })),
  );
  expect(points.map((q) => q.k)).toEqual([0, 1, 2]);
  points.forEach((q, k) => expect(q.v).toBe(stats[k].mean));
  // The value → y map of the drawing, from two points; the band's vertices must lie at the interval's bounds.
  const [a, b] = [points[0], points.find((q) => q.v !== points[0].v)!];
  const yOf = (v: number) => a.cy + ((v - a.v) * (b.cy - a.cy)) / (b.v - a.v);
  const band = p.locator('#chart polygon[data-role=ci]');
  expect(await band.count()).toBe(1);
  const vertices = ((await band.getAttribute('points')) ?? '').split(' ').map((xy) => xy.split(',').map(Number));
  expect(vertices).toHaveLength(6);
  const upper = vertices.slice(0, 3);
  const lower = vertices.slice(3).reverse();
  stats.forEach((s, k) => {
    expect(upper[k][0]).toBeCloseTo(points[k].cx, 9);
    expect(lower[k][0]).toBeCloseTo(points[k].cx, 9);
    expect(upper[k][1]).toBeCloseTo(yOf(s.hi), 6);
    expect(lower[k][1]).toBeCloseTo(yOf(s.lo), 6);
  });
  expect((await band.getAttribute('data-lo'))!.split(',').map(Number)).toEqual(stats.map((s) => s.lo));
  expect((await band.getAttribute('data-hi'))!.split(',').map(Number)).toEqual(stats.map((s) => s.hi));
  const state = await api<{ points: { mean: number; lo: number; hi: number }[]; images: { ok: number; failed: number } }>(
    p,
    'camanim.eval',
  );
  expect(state.points.map((q) => [q.mean, q.lo, q.hi])).toEqual(stats.map((s) => [s.mean, s.lo, s.hi]));
  expect(state.images).toEqual({ ok: 5, failed: 1 });
  await p.close();
});

test("pressing a layer shows one tile per image scored ok, each its item's map over its thumbnail, with label, prediction and value", async () => {
  const p = await session.page('?eval=b/out/');
  expect(await evalSettled(p)).toBe('ready');
  const k = 2;
  await p.click(`#chart circle.point[data-layer="${k}"]`);
  expect(await evalSettled(p, k)).toBe('ready');
  expect(p.url()).toContain(`layer=${k + 1}`);
  expect(await p.getAttribute('#chart [data-role=cursor]', 'data-layer')).toBe(String(k));
  const ok = gallery.images.filter((i) => i.status === 'ok').sort((x, y) => x.path.localeCompare(y.path));
  expect(await p.locator('.tile').count()).toBe(ok.length);
  const tiles = await api<GalleryTile[]>(p, 'camanim.gallery()');
  expect(tiles.map((t) => t.path)).toEqual(ok.map((i) => i.path));
  const style = { colormap: 'jet', alpha: 0.5, overlay: true } as const;
  const pixels = await p.locator('.tile canvas').evaluateAll((els) =>
    els.map((c) => {
      const cv = c as HTMLCanvasElement;
      return Array.from(cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data);
    }),
  );
  for (const [j, image] of ok.entries()) {
    const t = tiles[j];
    const item = readGalleryItem(new Uint8Array(readFileSync(join(root, 'out', image.file!))), image.file!);
    const map = item.map('gradcam', k)!;
    expect(t.error).toBeNull();
    expect(t.map).toEqual(Array.from(map));
    expect(t.label).toBe(image.label);
    expect(t.predicted).toBe(gallery.classes[image.predicted!]);
    expect(t.value).toBe(image.scores.gradcam.road[k]);
    // What the tile shows: the map painted over the thumbnail (the default style), as Colormap paints it.
    const { width, height } = gallery.thumb;
    const rgba = new Uint8ClampedArray((await decodedInPage(p, Buffer.from(item.png))).data);
    const expected = new Uint8ClampedArray(width * height * 4);
    const values = Float32Array.from(map, (u) => u / 255);
    Colormap.paint(values, gallery.map.width, gallery.map.height, { min: 0, max: 1 }, style, rgba, width, height, expected);
    expect(pixels[j].length).toBe(expected.length);
    let worst = 0;
    for (let q = 0; q < expected.length; q++) worst = Math.max(worst, Math.abs(pixels[j][q] - expected[q]));
    // Measured 0: putImageData/getImageData keep opaque pixels exactly.
    expect(worst, image.path).toBe(0);
  }
  const captions = await p.locator('.tile [data-role=tile-value]').allTextContents();
  expect(captions).toEqual(ok.map((i) => `ROAD ${i.scores.gradcam.road[k].toFixed(4)}`));
  expect(await p.textContent('[data-role=failed] summary')).toBe('1 image not scored (not shown)');
  await p.close();
});

test('sorting by value and the class filter reorder and narrow the tiles', async () => {
  const p = await session.page('?eval=b/out/&layer=2');
  expect(await evalSettled(p, 1)).toBe('ready');
  await p.selectOption('[data-role=sort]', 'desc');
  await evalSettled(p, 1);
  const values = (await api<GalleryTile[]>(p, 'camanim.gallery()')).map((t) => t.value);
  expect(values).toEqual([...values].sort((x, y) => y - x));
  await p.selectOption('[data-role=filter]', '=bag');
  await evalSettled(p, 1);
  expect((await api<GalleryTile[]>(p, 'camanim.gallery()')).map((t) => t.path)).toEqual(['bag/bag-0.png']);
  await p.close();
});

test('a dropped eval folder opens as ?eval= does', async () => {
  const p = await session.page('');
  await p.waitForFunction(() => window.camanim && window.camanim.state !== 'loading');
  await p.setInputFiles('#open-folder', join(root, 'out'));
  expect(await evalSettled(p)).toBe('ready');
  expect(await api(p, 'camanim.eval.source')).toBe("the dropped folder 'out'");
  expect(await p.locator('.tile').count()).toBe(5);
  await p.close();
});

test('a truncated aggregates.json is one clear message; a truncated gallery item, a message in its tile', async () => {
  const bad = await session.page('?eval=b/broken/');
  expect(await evalSettled(bad)).toBe('error');
  expect(await api(bad, 'camanim.errorCode')).toBe('bad-eval');
  expect(await bad.isVisible('#message')).toBe(true);
  expect(await bad.textContent('#message strong')).toBe('This eval folder cannot be read');
  expect(await bad.textContent('[data-role=error-text]')).toMatch(
    /^aggregates\.json is not valid JSON \(.+\): damaged, or cut short/,
  );
  await bad.close();

  const cut = await session.page('?eval=b/cut/');
  expect(await evalSettled(cut)).toBe('ready');
  const tiles = await api<GalleryTile[]>(cut, 'camanim.gallery()');
  const broken = tiles.filter((t) => t.error !== null);
  expect(broken).toHaveLength(1);
  expect(broken[0].error).toMatch(/The gallery item is 5000 bytes; its header says \d+ \(a \d+-byte PNG and 3 maps of 48×48\)/);
  expect(await cut.textContent('.tile.failed [data-role=tile-error]')).toBe(broken[0].error);
  expect(tiles.filter((t) => t.map !== null)).toHaveLength(4);
  await cut.close();
});
