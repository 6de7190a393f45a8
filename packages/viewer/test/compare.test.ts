/**
 * Side by side (issue #16 item 2): 2–4 explanations of one bundle in one row of panels, the
 * CLI grid's arrangement, with one camera, one layer cursor (every panel frames the same layer
 * after goTo) and one colour scale under global normalization (each its own under local); the
 * page's GIF has the same row of panels.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { deepNet, writeBundle } from './helpers/bundle.ts';
import { readGif } from './helpers/gif.ts';
import {
  api,
  clickDownload,
  decodeFrames,
  settled,
  shotStats,
  signatureDistance,
  startSession,
  type ViewerSession,
} from './helpers/harness.ts';

const SHOTS = process.env.CAMANIM_SHOTS ?? join(tmpdir(), 'camanim-compare-shots');

let root: string;
let session: ViewerSession;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'camanim-compare-'));
  mkdirSync(SHOTS, { recursive: true });
  writeBundle(join(root, 'three'), {
    width: 192,
    height: 48,
    layers: deepNet(48, 192, 24),
    methods: ['gradcam', 'hirescam', 'layercam'],
  });
  session = await startSession(root);
});

afterAll(async () => {
  await session?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

type Panels = { explanation: string; method: string; current: number; colorRange: { min: number; max: number } | null }[];

test('three explanations side by side: one layer cursor, one colour scale where global, a panel each', async () => {
  const p = await session.page('?bundle=b/three/');
  expect(await settled(p)).toBe('ready');
  await api(p, "camanim.compare(['gradcam', 'hirescam', 'layercam'])");
  expect(await settled(p)).toBe('ready');
  const panels = await api<Panels>(p, 'camanim.panels()');
  expect(panels.map((x) => x.method)).toEqual(['Grad-CAM', 'HiResCAM', 'LayerCAM']);
  // One row in the bundle's order, as the CLI's grid.gif: equal columns left to right.
  const boxes = await p
    .locator('.side-panel')
    .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().toJSON() as DOMRect));
  expect(boxes).toHaveLength(3);
  for (let i = 1; i < 3; i++) {
    expect(Math.abs(boxes[i].x - (boxes[i - 1].x + boxes[i - 1].width))).toBeLessThanOrEqual(1);
    expect(Math.abs(boxes[i].width - boxes[0].width)).toBeLessThanOrEqual(1);
  }
  expect(await p.locator('.side-caption').allTextContents()).toEqual([
    'Grad-CAM · Bag (class 8)',
    'HiResCAM · Bag (class 8)',
    'LayerCAM · Bag (class 8)',
  ]);
  for (const k of [3, 17, 0, 23]) {
    await api(p, `camanim.goTo(${k})`);
    const now = await api<Panels>(p, 'camanim.panels()');
    expect(now.map((x) => x.current)).toEqual([k, k, k]);
    expect(await api(p, 'camanim.current')).toBe(k);
    // Global: the same range in every panel.
    expect(new Set(now.map((x) => JSON.stringify(x.colorRange))).size).toBe(1);
  }
  await p.screenshot({ path: join(SHOTS, 'side-by-side-3-methods-48x192.png') });
  // Each panel draws its own explanation: the columns of the view differ.
  const view = (await p.locator('#view').boundingBox())!;
  const cols = await Promise.all(
    boxes.map(async (b) =>
      shotStats(p, await p.screenshot({ clip: { x: b.x + 2, y: view.y, width: b.width - 4, height: view.height } })),
    ),
  );
  // Every column drawn (not left at the clear colour: a scene background once cleared all but the last panel).
  for (const c of cols) expect(c.colours).toBeGreaterThan(40);
  expect(signatureDistance(cols[0], cols[1])).toBeGreaterThan(0);
  expect(signatureDistance(cols[0], cols[2])).toBeGreaterThan(0);
  // The page's GIF is the CLI's grid.gif: a panel per explanation in the same row, each at the input's aspect with the
  // layer's caption below the row (over the maps it would hide half of a row this wide), every layer.
  const { name, bytes } = await clickDownload(p, 'gif', join(SHOTS, 'side-by-side-'));
  expect(name).toBe('camanim-layers.gif');
  const gif = readGif(bytes);
  expect(gif.frames).toHaveLength(24);
  const pw = gif.width / 3;
  const mapH = Math.round((pw * 48) / 192);
  const [frame] = (await decodeFrames(p, bytes, 'image/gif', [12])).frames;
  const mean = (i: number, y0: number, y1: number, j?: number) => {
    let sum = 0;
    let n = 0;
    for (let y = Math.floor(y0); y < y1; y++)
      for (let x = 0; x < pw; x++, n++)
        for (let c = 0; c < 3; c++) {
          const a = frame[4 * (y * gif.width + i * pw + x) + c];
          sum += j === undefined ? a : Math.abs(a - frame[4 * (y * gif.width + j * pw + x) + c]);
        }
    return sum / (3 * n);
  };
  // Three lines of caption below the maps, on the dark band; the maps' last rows are drawn, not the band.
  expect(gif.height - mapH).toBeGreaterThanOrEqual(40);
  const band = [0, 1, 2].map((i) => mean(i, mapH + 2, gif.height));
  const edge = [0, 1, 2].map((i) => mean(i, mapH - 4, mapH));
  console.log(
    `side-by-side GIF: caption band ${band.map((v) => v.toFixed(1))}, maps' last rows ${edge.map((v) => v.toFixed(1))}`,
  );
  // Measured: the band 16–31 (its text lifts the first panel's), the maps' last rows 83–116.
  for (const v of band) expect(v).toBeLessThan(40);
  for (const v of edge) expect(v).toBeGreaterThan(40);
  // Mean |difference| between panels over the maps' middle rows (clear of the method bands).
  const gaps = [mean(0, mapH * 0.4, mapH * 0.9, 1), mean(0, mapH * 0.4, mapH * 0.9, 2), mean(1, mapH * 0.4, mapH * 0.9, 2)];
  console.log(
    `side-by-side GIF ${gif.width}×${gif.height}, maps ${pw}×${mapH}: panel differences ${gaps.map((g) => g.toFixed(1)).join(', ')}`,
  );
  // The same explanation in every panel gives 0.
  for (const g of gaps) expect(g).toBeGreaterThan(10);
  // Local: each explanation's own range at this layer.
  await api(p, "camanim.setNormalization('local')");
  const local = await api<Panels>(p, 'camanim.panels()');
  expect(new Set(local.map((x) => JSON.stringify(x.colorRange))).size).toBe(3);
  // Back to one view.
  await api(p, "camanim.compare(['hirescam'])");
  expect(await settled(p)).toBe('ready');
  expect((await api<Panels>(p, 'camanim.panels()')).map((x) => x.method)).toEqual(['HiResCAM']);
  expect(await p.locator('.side-caption').count()).toBe(0);
  await p.close();
});
