/**
 * The page's exports at the input's aspect (issue 16 item 5), in Debian's chromium: for inputs
 * of 48×192 and 320×96 (H×W) the PNG of the view, the GIF (one captioned frame per layer, as
 * the CLI's) and the WebM of the flythrough have the input's width/height within 2%, measured
 * from the downloaded files (the PNG and the video decoded by the page, the GIF's blocks read
 * here and its frames by the page's ImageDecoder); a GIF that fails says why and downloads
 * nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { centredBox, exportCrop } from '../src/Recorder.ts';
import { stridedNet, writeBundle } from './helpers/bundle.ts';
import { readGif } from './helpers/gif.ts';
import {
  api,
  clickDownload,
  decodeFrames,
  decodedInPage,
  settled,
  shotStats,
  startSession,
  type ViewerSession,
} from './helpers/harness.ts';

/** Where the exported files are kept for a person to look at, when set. */
const SHOTS = process.env.CAMANIM_SHOTS;
const SIZES: [number, number][] = [
  [48, 192],
  [320, 96],
];

let root: string;
let session: ViewerSession;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'camanim-exports-'));
  for (const [H, W] of SIZES) writeBundle(join(root, `${H}x${W}`), { width: W, height: H, layers: stridedNet(H, W) });
  session = await startSession(root);
});

afterAll(async () => {
  await session?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** Clicks an export button; the downloaded file (kept in CAMANIM_SHOTS as export-<case>-<name> when set). */
const download = (p: Page, role: string, label: string) => clickDownload(p, role, SHOTS && join(SHOTS, `export-${label}-`));

/**
 * The camera's step along the flight, in layers, and the export framing's largest change in one,
 * over the crop's height. Measured 25% (48×192) and 18% (320×96), where neighbouring stations
 * frame planes of other sizes. Framed around the current plane as the live camera sees it (the
 * still's framing, what a recording used before), the same sweep jumps 529% and 337%, and this
 * test fails.
 */
const STEP = 0.1;
const WORST_GLIDE = 0.5;

const off = (w: number, h: number, aspect: number) => Math.abs(w / h / aspect - 1);

test('centredBox: the largest centred box of an aspect, even-sized', () => {
  expect(centredBox(1000, 700, 4)).toEqual({ x: 0, y: 225, width: 1000, height: 250 });
  expect(centredBox(1000, 700, 0.3)).toEqual({ x: 395, y: 0, width: 210, height: 700 });
  expect(centredBox(820, 680, 4)).toEqual({ x: 2, y: 238, width: 816, height: 204 });
  const b = centredBox(801, 633, 96 / 320);
  expect([b.width % 2, b.height % 2]).toEqual([0, 0]);
  expect(off(b.width, b.height, 96 / 320)).toBeLessThan(0.01);
});

test('exportCrop: the centred crop, grown and moved the least to hold the focus plane', () => {
  // Nothing to hold: the centred box of the aspect.
  expect(exportCrop(800, 600, 4, undefined)).toEqual({ x: 0, y: 200, width: 800, height: 200 });
  // A plane inside it changes nothing.
  expect(exportCrop(800, 600, 4, { x: 100, y: 250, width: 300, height: 80 })).toEqual({ x: 0, y: 200, width: 800, height: 200 });
  // A plane reaching below: moved down by what it lacks, plus the margin.
  expect(exportCrop(800, 600, 4, { x: 100, y: 300, width: 300, height: 150 })).toEqual({ x: 0, y: 258, width: 800, height: 200 });
  // A plane taller than the box: grown around the centre to hold it with the margin, then moved onto it.
  const c = exportCrop(800, 600, 4, { x: 60, y: 180, width: 360, height: 300 });
  expect(c.width / c.height).toBeCloseTo(4, 12);
  expect(c.height).toBeCloseTo(316, 12);
  expect(c.y).toBeCloseTo(172, 12);
  expect(c.x).toBeLessThanOrEqual(52);
  expect(c.x + c.width).toBeGreaterThanOrEqual(428);
});

describe.each(SIZES)('a %i×%i input', (H, W) => {
  const aspect = W / H;
  const L = stridedNet(H, W).length;
  let p: Page;

  beforeAll(async () => {
    p = await session.page(`?bundle=b/${H}x${W}/`);
    expect(await settled(p)).toBe('ready');
    await api(p, 'camanim.goTo(4)');
  });

  afterAll(() => p?.close());

  test('PNG of the view at the input aspect', async () => {
    const { name, bytes } = await download(p, 'png', `${H}x${W}`);
    expect(name).toBe('camanim-layer-5.png');
    const stats = await shotStats(p, bytes);
    console.log(
      `PNG ${H}×${W}: ${stats.width}×${stats.height}, aspect ${(stats.width / stats.height).toFixed(4)} vs ${aspect.toFixed(4)}`,
    );
    expect(off(stats.width, stats.height, aspect)).toBeLessThan(0.02);
    // The stack is drawn in it, not a flat box.
    expect(stats.std).toBeGreaterThan(8);
    // The current plane's bright frame (StackScene: rgb 1, 0.82, 0.25) is whole inside the export, clear of its edges:
    // a crop of the on-screen view cut it, or left it out (320×96).
    const { width, height, data } = await decodedInPage(p, bytes);
    const box = { x0: width, y0: height, x1: -1, y1: -1, n: 0 };
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const o = 4 * (y * width + x);
        if (Math.abs(data[o] - 255) > 40 || Math.abs(data[o + 1] - 209) > 40 || Math.abs(data[o + 2] - 64) > 60) continue;
        Object.assign(box, {
          x0: Math.min(box.x0, x),
          y0: Math.min(box.y0, y),
          x1: Math.max(box.x1, x),
          y1: Math.max(box.y1, y),
          n: box.n + 1,
        });
      }
    console.log(`PNG ${H}×${W}: current plane's frame at x ${box.x0}..${box.x1}, y ${box.y0}..${box.y1} (${box.n} pixels)`);
    expect(box.n).toBeGreaterThan(width + height);
    expect(Math.min(box.x0, box.y0, width - 1 - box.x1, height - 1 - box.y1)).toBeGreaterThanOrEqual(2);
  });

  test('GIF: one captioned frame per layer at the input aspect, as the CLI makes', async () => {
    const { name, bytes } = await download(p, 'gif', `${H}x${W}`);
    expect(name).toBe('camanim-layers.gif');
    const gif = readGif(bytes);
    console.log(
      `GIF ${H}×${W}: ${gif.width}×${gif.height}, ${gif.frames.length} frames, aspect ${(gif.width / gif.height).toFixed(4)} vs ${aspect.toFixed(4)}`,
    );
    expect(gif.frames.length).toBe(L);
    expect(off(gif.width, gif.height, aspect)).toBeLessThan(0.02);
    expect(Math.min(gif.width, gif.height)).toBeGreaterThanOrEqual(240);
    for (const f of gif.frames) expect([f.width, f.height, f.delayMs]).toEqual([gif.width, gif.height, 250]);
    // The browser's own decoder agrees, and the last frame differs from the first (each layer's map and caption).
    const decoded = await decodeFrames(p, bytes, 'image/gif', [0, -1]);
    const [a, b] = decoded.frames;
    let diff = 0;
    for (let i = 0; i < a.length; i += 4) diff += Math.abs(a[i] - b[i]) + Math.abs(a[i + 1] - b[i + 1]);
    const meanDiff = diff / (a.length / 4);
    expect(decoded).toMatchObject({ count: L, width: gif.width, height: gif.height });
    expect(meanDiff).toBeGreaterThan(5);
    // Encoding showed its progress and is over: the page is ready, the status line back to the bundle.
    expect(await api(p, 'camanim.state')).toBe('ready');
    expect(await p.locator('#status-line').textContent()).toContain(`${L} layers`);
    expect(await p.locator('[data-role=gif]').isDisabled()).toBe(false);
  });

  test("a flight's export framing glides with the camera: no jump where the current layer changes", async () => {
    const crops: { x: number; y: number; width: number; height: number }[] = [];
    // The whole flight, input to prediction, stage changes included (planes of every size).
    for (let u = -1; u <= L + 0.001; u += STEP) {
      await api(p, `camanim.seek(${u.toFixed(2)})`);
      crops.push((await api<(typeof crops)[number][]>(p, 'camanim.exportCrops(true)'))[0]);
    }
    let worst = 0;
    for (let i = 1; i < crops.length; i++) {
      const [a, b] = [crops[i - 1], crops[i]];
      worst = Math.max(worst, (Math.abs(b.x - a.x) + Math.abs(b.y - a.y) + Math.abs(b.height - a.height)) / a.height);
    }
    console.log(`framing ${H}×${W}: worst change per ${STEP} layer ${(100 * worst).toFixed(2)}% of the crop's height`);
    expect(worst).toBeLessThan(WORST_GLIDE);
    // At a station the flight's framing is the still's (the PNG's, around the current plane).
    await api(p, 'camanim.goTo(4)');
    const [still, flying] = [
      await api<unknown[]>(p, 'camanim.exportCrops()'),
      await api<unknown[]>(p, 'camanim.exportCrops(true)'),
    ];
    expect(flying).toEqual(still);
  });

  test('WebM of the flythrough at the input aspect', async () => {
    await p.selectOption('[data-role=speed]', '16');
    const { name, bytes } = await download(p, 'webm', `${H}x${W}`);
    expect(name).toBe('camanim-flythrough.webm');
    expect([...bytes.subarray(0, 4)]).toEqual([0x1a, 0x45, 0xdf, 0xa3]);
    const video = await p.evaluate(async (b64) => {
      const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const v = document.createElement('video');
      v.muted = true;
      v.src = URL.createObjectURL(new Blob([data], { type: 'video/webm' }));
      await new Promise((resolve, reject) => {
        v.onloadedmetadata = resolve;
        v.onerror = () => reject(new Error(`the page cannot play the WebM: ${v.error?.message}`));
      });
      return { width: v.videoWidth, height: v.videoHeight };
    }, bytes.toString('base64'));
    console.log(
      `WebM ${H}×${W}: ${video.width}×${video.height}, aspect ${(video.width / video.height).toFixed(4)} vs ${aspect.toFixed(4)}`,
    );
    expect(off(video.width, video.height, aspect)).toBeLessThan(0.02);
  });
});

test('a GIF that cannot be encoded says why in the page and downloads nothing', async () => {
  const p = await session.page('?bundle=b/48x192/');
  expect(await settled(p)).toBe('ready');
  let downloads = 0;
  p.on('download', () => downloads++);
  await p.evaluate(() => {
    CanvasRenderingContext2D.prototype.getImageData = () => {
      throw new Error('getImageData refused by the test');
    };
  });
  await p.click('[data-role=gif]');
  await p.waitForFunction(() => window.camanim.state === 'error');
  expect(await api(p, 'camanim.errorCode')).toBe('export');
  const text = await p.locator('[data-role=error-text]').textContent();
  expect(text).toContain('The GIF export failed: getImageData refused by the test');
  expect(text).toContain('Try again');
  await p.waitForTimeout(300);
  expect(downloads).toBe(0);
  expect(await p.locator('[data-role=gif]').isDisabled()).toBe(false);
  await p.close();
});

test('no console errors or uncaught exceptions on any page', () => {
  expect(session.errors).toEqual([]);
});
