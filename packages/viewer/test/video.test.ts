/**
 * Video and volume bundles (issue #13 item 4): the viewer steps through time as well as layers.
 * On a generated bundle of T = 6 frames whose maps are one spot moving left to right through the
 * clip (helpers/bundle.ts videoSpot) and whose input frames differ (videoFrame): the time bar
 * shows only for a video; after going to frame t, the planes' tiles, the 2D frame and the input
 * plane are frame t's (against Colormap's painting of the bundle's own map at t, and the frame's
 * pixels); the URL keeps layer and frame both ways; the keys step time apart from layers;
 * the clip plays at a layer, the flythrough can play each layer's clip, and the GIF runs
 * through time as the CLI's animation does. Then the same on a real `camanim explain --video`
 * bundle (the reduced R3D-18 on its 8-frame clip, 8 layers).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseManifest, readMap } from '@camanim/cam-methods';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Colormap, type PaintStyle } from '../src/Colormap.ts';
import { clipFlythroughRate, clipFps, clipFrameAt } from '../src/Playback.ts';
import { smallNet, videoFrame, videoNet, videoSpot, writeBundle } from './helpers/bundle.ts';
import { readGif } from './helpers/gif.ts';
import { VIEWER, api, clickDownload, decodedInPage, settled, startSession, type ViewerSession } from './helpers/harness.ts';

const SHOTS = process.env.CAMANIM_SHOTS;
const CLI = resolve(VIEWER, '../cli/bin/camanim.js');
const R3D = resolve(VIEWER, '../../test/fixtures/models/r3d_18.onnx');
const CLIP = resolve(VIEWER, '../cli/test/fixtures/video');
const [H, W, T] = [64, 64, 6];
const LAYERS = videoNet(H, W, T);
const L = LAYERS.length;

let root: string;
let session: ViewerSession;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'camanim-video-'));
  writeBundle(join(root, 'video'), { width: W, height: H, layers: LAYERS, frames: T, ybroad: null });
  writeBundle(join(root, 'image'), { width: W, height: H, layers: smallNet() });
  session = await startSession(root);
});

afterAll(async () => {
  await session?.close();
  if (root) rmSync(root, { recursive: true, force: true });
  expect(session?.errors ?? []).toEqual([]);
});

type Range = { min: number; max: number };
type Tile = { width: number; height: number; rgba: number[] };

/** What the viewer paints for layer k at frame t (Colormap.paint of the bundle's own map at t over input frame t), RGBA at W×H. */
function expected(map: Float32Array, frame: Uint8ClampedArray, w: number, h: number, range: Range, style: PaintStyle) {
  const out = new Uint8ClampedArray(w * h * 4);
  Colormap.paint(map, w, h, range, style, frame, w, h, out);
  return out;
}

/** Largest difference of two RGBA images, alpha left out. */
function worst(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) if (i % 4 !== 3) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const rgbaOf = (rgb: Uint8Array) => {
  const out = new Uint8ClampedArray((rgb.length / 3) * 4);
  for (let p = 0; p < rgb.length / 3; p++) out.set([rgb[p * 3], rgb[p * 3 + 1], rgb[p * 3 + 2], 255], p * 4);
  return out;
};

/** The 2D frame's canvas pixels. */
const framePixels = (p: Page) =>
  p.evaluate(() => {
    const c = document.querySelector('#frame [data-role=frame]') as HTMLCanvasElement;
    return Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data);
  });

/** The input plane's texture, decoded. */
async function inputPlane(p: Page): Promise<Uint8Array> {
  const url = (await api<string>(p, 'camanim.inputPlane()')).split(',')[1];
  return (await decodedInPage(p, Buffer.from(url, 'base64'))).data;
}

const style = (p: Page) =>
  p.evaluate(() => ({
    colormap: (document.querySelector('[data-role=colormap]') as HTMLSelectElement).value,
    alpha: Number((document.querySelector('[data-role=alpha]') as HTMLInputElement).value),
    overlay: (document.querySelector('[data-role=overlay]') as HTMLInputElement).checked,
  })) as Promise<PaintStyle>;

/** The first explanation's map of layer k at input resolution at frame t, read from the bundle in `dir`. */
function bundleMap(dir: string, k: number, t: number): Float32Array {
  const m = parseManifest(readFileSync(join(dir, 'manifest.json')), dir);
  const cam = m.cams[0];
  const all = readMap(readFileSync(join(dir, cam.files.input)), cam.layers[k].input);
  const n = m.image.width * m.image.height;
  return all.subarray(t * n, (t + 1) * n);
}

/** Checks that layer k at frame t is frame t's everywhere the viewer shows it: tile, 2D frame, input plane. */
async function expectFrameShown(p: Page, dir: string, k: number, t: number, frame: Uint8ClampedArray, w: number, h: number) {
  expect(await api(p, 'camanim.frame')).toBe(t);
  const range = (await api<{ colorRange: Range }[]>(p, 'camanim.panels()'))[0].colorRange;
  const want = expected(bundleMap(dir, k, t), frame, w, h, range, await style(p));
  const tile = (await api<Tile>(p, `camanim.tile(${k})`))!;
  expect([tile.width, tile.height]).toEqual([w, h]);
  // The WebGPU kernel's float32 against Colormap's float64: measured 0–1 levels.
  const tileOff = worst(tile.rgba, want);
  expect(tileOff, `tile of layer ${k} at frame ${t}`).toBeLessThanOrEqual(1);
  // The 2D frame is Colormap.paint itself: exactly.
  expect(worst(await framePixels(p), want), `2D frame of layer ${k} at frame ${t}`).toBe(0);
  expect(worst(await inputPlane(p), frame), `input plane at frame ${t}`).toBe(0);
  return tileOff;
}

test("the clip flythrough's pace: each station plays frames 0…T−1 in order as the camera passes it", () => {
  const shown = Array.from({ length: 4 * 60 }, (_, i) => {
    const u = -0.5 + i / 60;
    return [Math.round(u), clipFrameAt(u, T)];
  });
  for (let k = 0; k < 4; k++) expect([...new Set(shown.filter((s) => s[0] === k).map((s) => s[1]))]).toEqual([0, 1, 2, 3, 4, 5]);
  // One station per clip at clipFps: T frames in T / clipFps seconds.
  expect(clipFlythroughRate(2, 10, T)).toBeCloseTo(clipFps(2) / T, 12);
});

describe('a generated video bundle', () => {
  const dir = () => join(root, 'video');
  const frame = (t: number) => rgbaOf(videoFrame(W, H, t));

  test('the time bar shows only for a video; going to frame t shows frame t on the planes, the 2D frame and the input plane', async () => {
    const img = await session.page('?bundle=b/image/');
    expect(await settled(img)).toBe('ready');
    expect(await img.locator('#time').isHidden()).toBe(true);
    expect(await api(img, 'camanim.frames')).toBe(1);
    await api(img, 'camanim.goTo(3)');
    await img.waitForFunction(() => location.search.includes('layer=4'));
    expect(new URL(img.url()).searchParams.has('frame')).toBe(false);
    await img.close();

    const p = await session.page('?bundle=b/video/');
    expect(await settled(p)).toBe('ready');
    expect(await p.locator('#time').isVisible()).toBe(true);
    expect(await api(p, 'camanim.frames')).toBe(T);
    expect(await p.locator('[data-role=frame-readout]').textContent()).toBe(`frame 1 / ${T}`);
    expect(await api(p, 'camanim.error')).toBe(null);
    const offs: number[] = [];
    for (const [k, t] of [
      [0, 0],
      [1, 3],
      [3, 5],
      [2, 1],
    ]) {
      await api(p, `camanim.goTo(${k})`);
      await api(p, `camanim.goToFrame(${t})`);
      offs.push(await expectFrameShown(p, dir(), k, t, frame(t), W, H));
      expect(await p.locator('[data-role=frame-readout]').textContent()).toBe(`frame ${t + 1} / ${T}`);
      expect(await p.locator('#frame .frame-title').textContent()).toContain(`· frame ${t + 1}/${T}`);
      // The spot is where frame t puts it: the map's hottest pixel, drawn in the LUT's top colour there.
      const spot = videoSpot(t, k, T, L);
      const tile = (await api<Tile>(p, `camanim.tile(${k})`))!;
      const at = (Math.floor(spot.y * H) * W + Math.floor(spot.x * W)) * 4;
      const far = (Math.floor(spot.y * H) * W + Math.floor(((spot.x + 0.5) % 1) * W)) * 4;
      expect(tile.rgba[at], 'red at the spot').toBeGreaterThan(tile.rgba[far] + 60);
    }
    console.log(`video tiles against Colormap.paint: worst ${Math.max(...offs)} levels`);
    await p.close();
  });

  test('the URL keeps layer and frame, both ways; keys step time apart from layers', async () => {
    const p = await session.page('?bundle=b/video/');
    expect(await settled(p)).toBe('ready');
    await api(p, 'camanim.goTo(2)');
    await api(p, 'camanim.goToFrame(4)');
    await p.waitForFunction(() => location.search.includes('frame=5'));
    const q = new URL(p.url()).searchParams;
    expect([q.get('layer'), q.get('frame')]).toEqual(['3', '5']);
    await p.close();

    const again = await session.page('?bundle=b/video/&layer=4&frame=3');
    expect(await settled(again)).toBe('ready');
    expect(await api(again, 'camanim.current')).toBe(3);
    await expectFrameShown(again, dir(), 3, 2, frame(2), W, H);
    const now = () => api<[number, number]>(again, '[camanim.current, camanim.frame]');
    await again.keyboard.press('.');
    expect(await now()).toEqual([3, 3]);
    await again.keyboard.press('Shift+ArrowRight');
    expect(await now()).toEqual([3, 4]);
    await again.keyboard.press(',');
    await again.keyboard.press('Shift+ArrowLeft');
    expect(await now()).toEqual([3, 2]);
    await again.keyboard.press('ArrowLeft');
    await again.waitForFunction(() => window.camanim.current === 2);
    expect(await now()).toEqual([2, 2]);
    await expectFrameShown(again, dir(), 2, 2, frame(2), W, H);
    await again.close();
  });

  test('without WebGPU (WebGL, the tiles painted on the CPU): frame t shown the same', async () => {
    const p = await session.page('?bundle=b/video/&layer=2&frame=4', { noWebGPU: true });
    expect(await settled(p)).toBe('ready');
    expect(await api(p, 'camanim.backend')).toBe('webgl');
    await expectFrameShown(p, dir(), 1, 3, frame(3), W, H);
    await api(p, 'camanim.goToFrame(5)');
    await expectFrameShown(p, dir(), 1, 5, frame(5), W, H);
    await p.close();
  });

  test('the clip plays at a layer; the flythrough can play each layer clip, layer after layer; the GIF runs through time', async () => {
    const p = await session.page('?bundle=b/video/&layer=3');
    expect(await settled(p)).toBe('ready');
    // The clip at layer 3 (8 frames a second at the default speed), looping: 3 s play it 4 times.
    await api(p, 'camanim.playClip()');
    const seen = await p.evaluate(async () => {
      const out: number[][] = [];
      const t0 = performance.now();
      while (performance.now() - t0 < 3000) {
        out.push([window.camanim.current, window.camanim.frame]);
        await new Promise((r) => setTimeout(r, 40));
      }
      window.camanim.pause();
      return out;
    });
    expect(new Set(seen.map((s) => s[0]))).toEqual(new Set([2]));
    expect(new Set(seen.map((s) => s[1])).size).toBe(T);
    const paused = await api<number>(p, 'camanim.frame');
    await p.waitForTimeout(400);
    expect(await api(p, 'camanim.frame')).toBe(paused);
    await expectFrameShown(p, dir(), 2, paused, frame(paused), W, H);

    // The flythrough that plays each layer's clip: (layer, frame) only moves forward, every frame at every layer.
    await api(p, 'camanim.setClipFlythrough(true)');
    expect(await p.locator('[data-role=clip-flythrough]').isChecked()).toBe(true);
    // 1 layer a second: each layer's clip of 6 frames in 1.5 s.
    await p.selectOption('[data-role=speed]', '1');
    await api(p, 'camanim.goToFrame(0)');
    await api(p, 'camanim.seek(-1)');
    await api(p, 'camanim.play()');
    const path = await p.evaluate(async () => {
      const out: number[][] = [];
      const t0 = performance.now();
      while (performance.now() - t0 < 20_000) {
        out.push([window.camanim.current, window.camanim.frame]);
        if (out.length > 5 && window.camanim.current === window.camanim.layers.length - 1 && window.camanim.frame === 5) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      return out;
    });
    const order = path.map(([k, t]) => k * T + t);
    for (let i = 1; i < order.length; i++) expect(order[i]).toBeGreaterThanOrEqual(order[i - 1]);
    // At 250 ms a frame a loaded software renderer skips some; every layer still plays through its clip.
    const perLayer = Array.from({ length: L }, (_, k) => new Set(path.filter((s) => s[0] === k).map((s) => s[1])).size);
    console.log(`clip flythrough: frames seen per layer ${perLayer.join(', ')} of ${T}`);
    for (const n of perLayer) expect(n).toBeGreaterThanOrEqual(T / 2);
    await api(p, 'camanim.pause()');

    // The GIF: every layer through every frame, layer after layer, captioned with the frame.
    const gif = await clickDownload(p, 'gif');
    expect(gif.name).toBe('camanim-layers.gif');
    expect(readGif(gif.bytes).frames).toHaveLength(L * T);
    await p.close();
  });
});

describe('a camanim explain --video bundle', () => {
  let out: string;
  let seconds = 0;

  beforeAll(async () => {
    out = join(root, 'r3d');
    const t0 = performance.now();
    await new Promise<void>((ok, fail) =>
      execFile(
        process.execPath,
        [
          CLI,
          'explain',
          '--model',
          R3D,
          '--video',
          CLIP,
          ...['--mean', '0.43216,0.394666,0.37645', '--std', '0.22803,0.22145,0.216989', '--resize', 'stretch'],
          ...['--layers', 'relu2/Relu', '--format', 'bundle', '--out', out],
        ],
        { timeout: 120_000, maxBuffer: 1 << 24 },
        (err, stdout, stderr) =>
          err ? fail(new Error(`camanim explain --video failed: ${err.message}\n${stdout}\n${stderr}`)) : ok(),
      ),
    );
    seconds = (performance.now() - t0) / 1000;
  }, 150_000);

  test('R3D-18 on its 8-frame clip: every layer at every frame is the bundle map at that frame, over that frame', async () => {
    console.log(`camanim explain --video: ${seconds.toFixed(1)} s`);
    const dir = join(out, 'video', 'bundle');
    const p = await session.page('?bundle=b/r3d/video/bundle/');
    expect(await settled(p)).toBe('ready');
    expect(await api(p, 'camanim.error')).toBe(null);
    expect(await api(p, 'camanim.frames')).toBe(8);
    expect(await p.locator('#time').isVisible()).toBe(true);
    const frames = await Promise.all(
      Array.from({ length: 8 }, async (_, t) => {
        const d = await decodedInPage(p, readFileSync(join(dir, `input-${t}.png`)));
        return new Uint8ClampedArray(d.data);
      }),
    );
    const offs: number[] = [];
    for (const [k, t] of [
      [0, 0],
      [0, 5],
      [3, 2],
      [7, 7],
    ]) {
      await api(p, `camanim.goTo(${k})`);
      await api(p, `camanim.goToFrame(${t})`);
      offs.push(await expectFrameShown(p, dir, k, t, frames[t], 112, 112));
    }
    console.log(`R3D tiles against Colormap.paint: worst ${Math.max(...offs)} levels`);
    if (SHOTS) {
      mkdirSync(SHOTS, { recursive: true });
      // The docs' pictures (docs/viewer/): layer 2 at the clip's first frame and at its seventh, local normalization.
      await api(p, "camanim.setNormalization('local')");
      await api(p, 'camanim.goTo(1)');
      for (const t of [0, 6]) {
        await api(p, `camanim.goToFrame(${t})`);
        await p.screenshot({ path: join(SHOTS, `video-r3d18-layer-2-frame-${t + 1}.png`) });
      }
    }
    await p.close();
  }, 150_000);
});
