/**
 * `camanim view <folder>`: serves the built viewer (packages/viewer/dist) at / and a result
 * bundle at /bundle/ (or the --out folder of `camanim eval` at /eval/) on 127.0.0.1 (a free
 * port), and prints the URL that opens the viewer on it (?bundle=bundle/, ?eval=eval/). Only files
 * inside those two folders are served: `..` segments, encoded dots or slashes, backslashes and
 * NULs are refused with 400, and symlinks leading out with 403.
 */
import { createReadStream, existsSync, realpathSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { AGGREGATES_FILE } from '@camanim/cam-methods';
import { cliError } from '../errors.ts';
import type { Io } from '../io.ts';

export const VIEWER_DIST = resolve(import.meta.dirname, '../../../viewer/dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.gif': 'image/gif',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.bin': 'application/octet-stream',
  '.zip': 'application/zip',
};

/** What `camanim view` serves: a result bundle or an eval folder. */
export interface Viewable {
  readonly kind: 'bundle' | 'eval';
  readonly dir: string;
}

/** The folder holding manifest.json (the given one, or its bundle/ subfolder), or an eval folder (aggregates.json). */
export function findViewable(dir: string): Viewable {
  const d = resolve(dir);
  if (existsSync(join(d, 'manifest.json'))) return { kind: 'bundle', dir: d };
  if (existsSync(join(d, 'bundle', 'manifest.json'))) return { kind: 'bundle', dir: join(d, 'bundle') };
  if (existsSync(join(d, AGGREGATES_FILE))) return { kind: 'eval', dir: d };
  throw cliError(
    `No bundle here: the folder has no manifest.json (nor bundle/manifest.json), nor the ${AGGREGATES_FILE} of an eval folder`,
    { file: d },
    'Pass a bundle folder written by camanim explain --format bundle, or the --out folder of camanim eval',
  );
}

/** The file a request path names inside `root`, or an HTTP status refusing it. */
export function resolveInside(root: string, path: string): string | 400 | 403 | 404 {
  if (/%(2e|2f|5c|00)/i.test(path) || path.includes('\\') || path.includes('\0')) return 400;
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return 400;
  }
  const parts = decoded.split('/');
  if (parts.some((p) => p === '..' || p === '.')) return 400;
  const realRoot = realpathSync(root);
  const file = resolve(realRoot, ...parts.filter(Boolean));
  if (file !== realRoot && !file.startsWith(realRoot + sep)) return 403;
  if (!existsSync(file)) return 404;
  const real = realpathSync(file);
  if (real !== realRoot && !real.startsWith(realRoot + sep)) return 403;
  if (statSync(real).isDirectory()) {
    const index = join(real, 'index.html');
    return existsSync(index) ? index : 404;
  }
  return real;
}

export interface ViewServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/** Serves `viewerDir` at / and `bundleDir` at /bundle/ (with kind 'eval', an eval folder at /eval/) on 127.0.0.1. */
export async function startViewServer(
  viewerDir: string,
  bundleDir: string,
  port = 0,
  kind: Viewable['kind'] = 'bundle',
): Promise<ViewServer> {
  const mount = `/${kind}`;
  const server = createServer((req, res) => {
    const send = (status: number, text: string) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`${text}\n`);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed');
    const raw = (req.url ?? '/').split('?')[0].split('#')[0];
    if (!raw.startsWith('/')) return send(400, 'bad path');
    const inBundle = raw === mount || raw.startsWith(`${mount}/`);
    const target = inBundle ? resolveInside(bundleDir, raw.slice(mount.length) || '/') : resolveInside(viewerDir, raw);
    if (typeof target === 'number') return send(target, target === 404 ? 'not found' : 'refused');
    res.writeHead(200, {
      'content-type': TYPES[extname(target).toLowerCase()] ?? 'application/octet-stream',
      'cache-control': 'no-store',
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(target)
      .on('error', () => res.destroy())
      .pipe(res);
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok());
  });
  const { port: p } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${p}/?${kind}=${kind}/`,
    server,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

export async function view(dir: string, opts: { port?: string }, io: Io): Promise<void> {
  const what = findViewable(dir);
  if (!existsSync(join(VIEWER_DIST, 'index.html'))) {
    throw cliError('The viewer is not built', { file: VIEWER_DIST }, 'Run pnpm --filter @camanim/viewer build');
  }
  const port = opts.port === undefined ? 0 : Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw cliError(`--port expects 0..65535, got '${opts.port}'`);
  const s = await startViewServer(VIEWER_DIST, what.dir, port, what.kind);
  io.out(`${s.url}\n`);
  io.err(`serving the viewer and the ${what.kind === 'eval' ? 'eval folder' : 'bundle'} on 127.0.0.1; Ctrl-C stops\n`);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void s.close().then(done);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
