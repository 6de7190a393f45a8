/**
 * `explain --format html`: a report folder with the built viewer, a copy of the bundle and an
 * index.html opening the viewer on it; served by `camanim view`'s server, the viewer's relative
 * ?bundle=../bundle/ resolves to the bundle. One layer pair (--every 1000) keeps it short.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sanitizeName } from '../src/staging.ts';
import { VIEWER_DIST, startViewServer } from '../src/commands/view.ts';
import { camanim, scratch, type CliResult } from './helpers/cli.ts';
import { subject } from './helpers/subject.ts';

let result: CliResult;
let report: string;

beforeAll(async () => {
  if (!existsSync(join(VIEWER_DIST, 'index.html'))) {
    const root = resolve(import.meta.dirname, '../../..');
    const b = spawnSync('pnpm', ['--filter', '@camanim/viewer', 'build'], { cwd: root, stdio: 'inherit' });
    if (b.status !== 0) throw new Error('pnpm --filter @camanim/viewer build failed');
  }
  const tmp = scratch();
  const subj = await subject(tmp);
  result = await camanim([
    'explain',
    ...subj.args,
    '--every',
    '1000',
    '--size',
    '64',
    '--format',
    'html',
    '--out',
    join(tmp, 'out'),
    '-q',
  ]);
  report = join(tmp, 'out', sanitizeName(basename(subj.image, extname(subj.image)), 60), 'report');
}, 300_000);

describe('camanim explain --format html', () => {
  it('writes report/ with the viewer, the bundle and an index.html that opens one on the other', async () => {
    expect(result.err).not.toMatch(/camanim: /);
    expect(result.code).toBe(0);
    expect(readdirSync(join(report, 'viewer')).sort()).toEqual(readdirSync(VIEWER_DIST).sort());
    expect(readFileSync(join(report, 'viewer', 'index.html'))).toEqual(readFileSync(join(VIEWER_DIST, 'index.html')));
    const index = readFileSync(join(report, 'index.html'), 'utf8');
    expect(index).toContain('url=viewer/index.html?bundle=../bundle/');
    const manifest = JSON.parse(readFileSync(join(report, 'bundle', 'manifest.json'), 'utf8'));
    expect(readFileSync(join(report, '..', 'bundle', 'manifest.json'), 'utf8')).toBe(
      readFileSync(join(report, 'bundle', 'manifest.json'), 'utf8'),
    );
    for (const f of Object.values(manifest.files as Record<string, string>))
      expect(existsSync(join(report, 'bundle', f)), f).toBe(true);
    // Served over HTTP, the viewer page and the bundle its ?bundle= names are both reachable.
    const s = await startViewServer(join(report, 'viewer'), join(report, 'bundle'));
    try {
      const base = new URL(s.url);
      const viewerPage = new URL('/index.html', base);
      const bundleUrl = new URL('manifest.json', new URL('bundle/', base));
      expect((await fetch(viewerPage)).status).toBe(200);
      expect(await (await fetch(bundleUrl)).json()).toEqual(manifest);
    } finally {
      await s.close();
    }
  });
});
