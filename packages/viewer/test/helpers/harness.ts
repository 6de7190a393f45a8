/**
 * What the viewer tests share: build dist/ (vite build, so a clean clone works), serve it
 * and a folder of bundles on 127.0.0.1, drive Debian's chromium headless through
 * playwright-core with WebGPU on SwiftShader, collect console errors, and measure screenshots.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { FrameStats } from '../../src/ViewerStatus.ts';

export const VIEWER = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DIST = join(VIEWER, 'dist');
export const CHROMIUM = process.env.CAMANIM_CHROMIUM ?? '/usr/bin/chromium';

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.png': 'image/png',
  '.map': 'application/json',
  '.zip': 'application/zip',
};

/** vite build into dist/, or into `outDir` (a private copy that other builds cannot empty mid-run). */
export function buildViewer(outDir = DIST): void {
  execFileSync(
    process.execPath,
    [join(VIEWER, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn', '--outDir', outDir],
    { cwd: VIEWER, stdio: 'inherit' },
  );
}

/** Serves the built page (dist/ unless `site`) at / and `bundles` at /b/. */
export async function serve(bundles: string, site = DIST): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const [root, rel] = path.startsWith('/b/') ? [bundles, path.slice(3)] : [site, path === '/' ? 'index.html' : path.slice(1)];
    const file = normalize(join(root, rel));
    if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(() => r())) };
}

export async function launch(): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), 'camanim-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 760 },
    args: [
      '--headless=new',
      '--no-sandbox',
      '--enable-unsafe-webgpu',
      '--use-angle=swiftshader',
      '--enable-features=Vulkan',
      '--use-vulkan=swiftshader',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  // Chromium's helper processes may still write into the profile as the context closes: retry,
  // and never let a leftover temp folder fail a test.
  ctx.on('close', () => {
    try {
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    } catch {
      /* a temp folder left behind is harmless */
    }
  });
  return ctx;
}

export interface OpenedPage {
  page: Page;
  /** Console errors and uncaught exceptions seen so far. */
  errors: string[];
}

export async function open(ctx: BrowserContext, url: string, opts: { noWebGPU?: boolean } = {}): Promise<OpenedPage> {
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  // A string, not a function: the test runner's transpiler may wrap functions in helpers the page lacks.
  if (opts.noWebGPU)
    await page.addInitScript({
      content: "Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });",
    });
  await page.goto(url);
  return { page, errors };
}

/**
 * One test file's browser on one served folder of bundles (at /b/): `page` opens the viewer
 * with a query, and every page's console errors are collected into `errors` as it closes.
 */
export interface ViewerSession {
  readonly errors: string[];
  page(query: string, opts?: { noWebGPU?: boolean }): Promise<Page>;
  /** Closes the browser and the server (the bundle folder stays: its owner removes it). */
  close(): Promise<void>;
}

export async function startSession(bundles: string): Promise<ViewerSession> {
  const server = await serve(bundles);
  const ctx = await launch().catch(async (e) => {
    await server.close();
    throw e;
  });
  const errors: string[] = [];
  return {
    errors,
    async page(query, opts = {}) {
      const p = await open(ctx, `${server.url}${query}`, opts);
      p.page.on('close', () => errors.push(...p.errors));
      return p.page;
    },
    async close() {
      await ctx.close();
      await server.close();
    },
  };
}

/** Clicks the button `role` and returns the file it downloads: its name and bytes (also written at `keep` + name when given). */
export async function clickDownload(p: Page, role: string, keep?: string): Promise<{ name: string; bytes: Buffer }> {
  const [d] = await Promise.all([p.waitForEvent('download', { timeout: 60_000 }), p.click(`[data-role=${role}]`)]);
  const file = { name: d.suggestedFilename(), bytes: readFileSync((await d.path())!) };
  if (keep) {
    mkdirSync(dirname(keep), { recursive: true });
    writeFileSync(`${keep}${file.name}`, file.bytes);
  }
  return file;
}

/** An expression evaluated in the page (window.camanim is the viewer's test API). */
export const api = <T>(p: Page, expr: string) => p.evaluate(expr) as Promise<T>;

/** Waits until the page leaves 'loading' and returns the state. */
export async function settled(page: Page, timeout = 90_000): Promise<string> {
  await page.waitForFunction(() => window.camanim && window.camanim.state !== 'loading', null, { timeout, polling: 100 });
  return page.evaluate(() => window.camanim.state);
}

export interface Flight extends FrameStats {
  /** Planes in the stack, and the layer the camera reached. */
  layers: number;
  reached: number;
  backend: string | null;
}

/** Plays the flythrough from the input for `seconds` (it stops by itself at the end) and returns the frame times drawn while the camera moved. */
export async function flythrough(page: Page, seconds: number): Promise<Flight> {
  return page.evaluate(`(async () => {
    await camanim.seek(-1);
    camanim.stats(true);
    camanim.play();
    await new Promise((r) => setTimeout(r, ${seconds * 1000}));
    camanim.pause();
    return { ...camanim.stats(), layers: camanim.layers.length, reached: camanim.current, backend: camanim.backend };
  })()`);
}

export interface ShotStats {
  width: number;
  height: number;
  /** Standard deviation of the luma over the image (0 for a flat frame). */
  std: number;
  /** Distinct colours on a 4-bit-per-channel grid. */
  colours: number;
  /** 16×16 block means of the luma, to compare two shots. */
  signature: number[];
}

/**
 * An image file's frames decoded by the page's own ImageDecoder (as the browser draws them):
 * the frame count and the RGBA bytes, row by row, of the frames asked for (negative: from the end).
 */
export async function decodeFrames(
  page: Page,
  bytes: Buffer,
  type: string,
  indices: readonly number[],
): Promise<{ count: number; width: number; height: number; frames: Uint8Array[] }> {
  const r = await page.evaluate(
    async ({ b64, type, indices }) => {
      const decoder = new ImageDecoder({ data: Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)), type });
      await decoder.tracks.ready;
      const count = decoder.tracks.selectedTrack!.frameCount;
      let [width, height] = [0, 0];
      const frames: string[] = [];
      for (const i of indices) {
        const { image } = await decoder.decode({ frameIndex: i < 0 ? count + i : i });
        const c = new OffscreenCanvas(image.displayWidth, image.displayHeight);
        const ctx = c.getContext('2d')!;
        ctx.drawImage(image, 0, 0);
        image.close();
        [width, height] = [c.width, c.height];
        const d = ctx.getImageData(0, 0, c.width, c.height).data;
        // Back as base64: a plain array of numbers would be several times larger.
        let bin = '';
        for (let o = 0; o < d.length; o += 0x8000) bin += String.fromCharCode(...d.subarray(o, o + 0x8000));
        frames.push(btoa(bin));
      }
      return { count, width, height, frames };
    },
    { b64: bytes.toString('base64'), type, indices },
  );
  return { ...r, frames: r.frames.map((f) => new Uint8Array(Buffer.from(f, 'base64'))) };
}

/** A PNG decoded by the page's own decoder: RGBA bytes, row by row. */
export async function decodedInPage(page: Page, png: Buffer): Promise<{ width: number; height: number; data: Uint8Array }> {
  const { width, height, frames } = await decodeFrames(page, png, 'image/png', [0]);
  return { width, height, data: frames[0] };
}

/** Decodes a PNG screenshot in the page and measures it. */
export async function shotStats(page: Page, png: Buffer): Promise<ShotStats> {
  const { width, height, data: d } = await decodedInPage(page, png);
  let s = 0;
  let s2 = 0;
  const colours = new Set<number>();
  const sig = new Array(256).fill(0);
  const n = width * height;
  for (let p = 0; p < n; p++) {
    const l = 0.299 * d[p * 4] + 0.587 * d[p * 4 + 1] + 0.114 * d[p * 4 + 2];
    s += l;
    s2 += l * l;
    colours.add(((d[p * 4] >> 4) << 8) | ((d[p * 4 + 1] >> 4) << 4) | (d[p * 4 + 2] >> 4));
    const bx = Math.floor(((p % width) * 16) / width);
    const by = Math.floor((Math.floor(p / width) * 16) / height);
    sig[by * 16 + bx] += l / (n / 256);
  }
  const mean = s / n;
  return { width, height, std: Math.sqrt(Math.max(0, s2 / n - mean * mean)), colours: colours.size, signature: sig };
}

/** Mean absolute difference of two signatures (luma levels, 0..255). */
export function signatureDistance(a: ShotStats, b: ShotStats): number {
  return a.signature.reduce((acc, v, k) => acc + Math.abs(v - b.signature[k]), 0) / a.signature.length;
}

/**
 * The box of what is drawn at the left of a screenshot: the first run of columns (from the
 * left) holding any pixel further than `tolerance` from `background`, and the rows of that
 * run holding such a pixel. Used to measure a map's drawn aspect from its pixels.
 */
export async function drawnBox(
  page: Page,
  png: Buffer,
  background: [number, number, number],
  tolerance = 24,
): Promise<{ x: number; y: number; width: number; height: number }> {
  const { width, height, data: d } = await decodedInPage(page, png);
  const drawn = (x: number, y: number) => {
    const o = (y * width + x) * 4;
    return (
      Math.max(Math.abs(d[o] - background[0]), Math.abs(d[o + 1] - background[1]), Math.abs(d[o + 2] - background[2])) > tolerance
    );
  };
  const column = (x: number) => {
    for (let y = 0; y < height; y++) if (drawn(x, y)) return true;
    return false;
  };
  let x0 = 0;
  while (x0 < width && !column(x0)) x0++;
  let x1 = x0;
  while (x1 < width && column(x1)) x1++;
  let y0 = height;
  let y1 = -1;
  for (let x = x0; x < x1; x++) {
    for (let y = 0; y < height; y++) {
      if (!drawn(x, y)) continue;
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
    }
  }
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 + 1 };
}
