/**
 * Headless Chromium (Debian's /usr/bin/chromium through playwright-core) with WebGPU, and a
 * local HTTP server on 127.0.0.1 serving onnxruntime-web's and TensorFlow.js's dist files, the
 * benchmark models and the page scripts in bench/page/. The page's functions run the
 * measurements and hand back timings.
 */
import { createReadStream, existsSync, mkdtempSync, realpathSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { BENCH_DIR, MODELS_DIR, TEST_DIR } from './env.ts';
import { firstLine, progress } from './measure.ts';

export const CHROMIUM = '/usr/bin/chromium';

const ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-gpu-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.onnx': 'application/octet-stream',
  '.map': 'application/json',
};

export interface BrowserSession {
  readonly page: Page;
  /** The WebGPU adapter the page got, in words. */
  readonly adapter: string;
  readonly chromium: string;
  /** Evaluates `window.<fn>(arg)` in the page and returns its JSON result. */
  call<T>(fn: string, arg: unknown): Promise<T>;
  close(): Promise<void>;
}

function packageDir(name: string, sub = 'dist'): string {
  return realpathSync(join(TEST_DIR, 'node_modules', name, sub));
}

/** Starts the server and the browser; undefined with a reason when that is not possible here. */
export async function openBrowser(): Promise<BrowserSession | { skip: string }> {
  if (!existsSync(CHROMIUM)) return { skip: `${CHROMIUM} is absent (apt-get install chromium)` };
  let chromium: typeof import('playwright-core').chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    return { skip: `playwright-core failed to load: ${(e as Error).message}` };
  }
  const roots: Record<string, string> = {
    ort: packageDir('onnxruntime-web'),
    tfjs: packageDir('@tensorflow/tfjs'),
    'tfjs-webgpu': packageDir('@tensorflow/tfjs-backend-webgpu'),
    models: MODELS_DIR,
    page: join(BENCH_DIR, 'page'),
  };
  const server = await serve(roots);
  const port = (server.address() as { port: number }).port;
  const userDir = mkdtempSync(join(tmpdir(), 'camanim-bench-chromium-'));
  let context: BrowserContext | undefined;
  const cleanup = async () => {
    await context?.close().catch(() => undefined);
    await new Promise<void>((r) => server.close(() => r()));
    server.closeAllConnections?.();
    rmSync(userDir, { recursive: true, force: true });
  };
  try {
    context = await chromium.launchPersistentContext(userDir, { executablePath: CHROMIUM, headless: true, args: ARGS });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') progress(`  [chromium ${m.type()}] ${m.text().slice(0, 300)}`);
    });
    page.on('pageerror', (e) => progress(`  [chromium page error] ${e.message}`));
    await page.goto(`http://127.0.0.1:${port}/page/index.html`);
    await page.waitForFunction('window.benchReady === true', undefined, { timeout: 30_000 });
    const call = <T>(fn: string, arg: unknown) => page.evaluate(`window.${fn}(${JSON.stringify(arg)})`) as Promise<T>;
    const info = await call<{ ok: boolean; adapter?: string; reason?: string; isolated: boolean }>('probeAdapter', {});
    if (!info.ok) {
      await cleanup();
      return { skip: `headless Chromium has no WebGPU adapter: ${info.reason}` };
    }
    const version = context.browser()?.version() ?? ((await page.evaluate('navigator.userAgent')) as string);
    progress(`chromium ${version}: WebGPU adapter ${info.adapter}; crossOriginIsolated=${info.isolated}`);
    return { page, adapter: info.adapter!, chromium: String(version), call, close: cleanup };
  } catch (e) {
    await cleanup();
    return { skip: `headless Chromium failed: ${firstLine(e)}` };
  }
}

/** A static file server for the given roots (/<root>/<path>), cross-origin isolated. */
function serve(roots: Record<string, string>): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const [, root, ...rest] = decodeURIComponent(url.pathname).split('/');
    const base = roots[root];
    const path = base ? normalize(join(base, ...rest)) : '';
    if (!base || !(path === base || path.startsWith(base + sep)) || !existsSync(path) || !statSync(path).isFile()) {
      if (url.pathname !== '/favicon.ico') progress(`  [http] 404 ${url.pathname}`);
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream',
      'Content-Length': statSync(path).size,
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Cache-Control': 'no-store',
    });
    createReadStream(path).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}
