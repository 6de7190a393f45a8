/**
 * `camanim view`'s server: the viewer at /, the bundle at /bundle/, nothing outside them
 * (`..`, encoded escapes, symlinks out are refused). No GPU needed: a hand-made bundle folder.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findViewable, startViewServer, type ViewServer } from '../src/commands/view.ts';
import { camanim, scratch } from './helpers/cli.ts';

let tmp: string;
let server: ViewServer;

/** GET with the path sent as is (fetch would normalize `..` away). */
function get(path: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(server.url);
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

beforeAll(async () => {
  tmp = scratch('camanim-view-');
  const viewer = join(tmp, 'viewer');
  const bundle = join(tmp, 'img', 'bundle');
  mkdirSync(join(viewer, 'assets'), { recursive: true });
  mkdirSync(bundle, { recursive: true });
  writeFileSync(join(viewer, 'index.html'), '<html>viewer</html>');
  writeFileSync(join(viewer, 'assets', 'app.js'), 'export {}');
  writeFileSync(join(bundle, 'manifest.json'), '{"version":1}');
  writeFileSync(join(tmp, 'secret.txt'), 'secret');
  symlinkSync(join(tmp, 'secret.txt'), join(bundle, 'link.txt'));
  server = await startViewServer(viewer, findViewable(join(tmp, 'img')).dir);
});

afterAll(async () => {
  await server?.close();
});

describe('camanim view server', () => {
  it('serves the viewer and the bundle on 127.0.0.1 and names the viewer URL with ?bundle=', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?bundle=bundle\/$/);
    expect(await get('/')).toEqual({ status: 200, body: '<html>viewer</html>' });
    expect((await get('/assets/app.js')).status).toBe(200);
    expect(await get('/bundle/manifest.json')).toEqual({ status: 200, body: '{"version":1}' });
    expect((await get('/bundle/nothing.bin')).status).toBe(404);
  });

  it('refuses paths that leave the two folders: .., encoded dots and slashes, backslashes, symlinks out', async () => {
    for (const path of [
      '/../secret.txt',
      '/bundle/../../secret.txt',
      '/bundle/%2e%2e/%2e%2e/secret.txt',
      '/%2E%2E%2Fsecret.txt',
      '/bundle/..%2f..%2fsecret.txt',
      '/bundle/..\\..\\secret.txt',
      '/bundle/%252e%252e/secret.txt',
      '/bundle/%00',
    ]) {
      const r = await get(path);
      expect(r.status, path).toBeGreaterThanOrEqual(400);
      expect(r.body, path).not.toContain('secret');
    }
    const link = await get('/bundle/link.txt');
    expect(link.status).toBe(403);
    expect(link.body).not.toContain('secret');
  });

  it('serves an eval folder (aggregates.json) at /eval/ and names the viewer URL with ?eval=', async () => {
    const dir = join(tmp, 'eval-out');
    mkdirSync(join(dir, 'gallery'), { recursive: true });
    writeFileSync(join(dir, 'aggregates.json'), '{"images":0}');
    writeFileSync(join(dir, 'gallery', 'x.bin'), 'item');
    const found = findViewable(dir);
    expect(found).toEqual({ kind: 'eval', dir });
    const s = await startViewServer(join(tmp, 'viewer'), found.dir, 0, found.kind);
    try {
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?eval=eval\/$/);
      const base = s.url.split('?')[0];
      expect(await (await fetch(`${base}eval/aggregates.json`)).text()).toBe('{"images":0}');
      expect(await (await fetch(`${base}eval/gallery/x.bin`)).text()).toBe('item');
      expect((await fetch(`${base}bundle/aggregates.json`)).status).toBe(404);
    } finally {
      await s.close();
    }
  });

  it('`camanim view` on a folder without a bundle is one clear error', async () => {
    const r = await camanim(['view', tmp]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^camanim: No bundle here/);
  });
});
