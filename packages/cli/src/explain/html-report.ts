/**
 * `--format html`: <dir>/report/ with the built viewer (viewer/), a copy of the bundle
 * (bundle/) and index.html opening the viewer on it (?bundle=../bundle/).
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { VIEWER_DIST } from '../commands/view.ts';
import { escapeXml } from '../frames.ts';
import type { RenderContext } from '../render.ts';

export async function writeReport(ctx: RenderContext, bundleFiles: readonly string[]): Promise<void> {
  const report = [ctx.dir, 'report'];
  for (const f of bundleFiles) ctx.written.push(await ctx.staging.write([...report, 'bundle', basename(f)], await readFile(f)));
  const walk = async (rel: string[]): Promise<void> => {
    for (const e of await readdir(join(VIEWER_DIST, ...rel), { withFileTypes: true })) {
      if (e.isDirectory()) await walk([...rel, e.name]);
      else if (e.isFile())
        await ctx.staging.write([...report, 'viewer', ...rel, e.name], await readFile(join(VIEWER_DIST, ...rel, e.name)));
    }
  };
  await walk([]);
  const target = 'viewer/index.html?bundle=../bundle/';
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>camanim report: ${escapeXml(ctx.dir)}</title>
<meta http-equiv="refresh" content="0; url=${target}">
</head>
<body>
<p>Opening <a href="${target}">the camanim viewer on this bundle</a>.</p>
<p>Browsers block fetch() on file:// pages: if the viewer reports that it cannot fetch the bundle,
serve this folder over HTTP, e.g. <code>camanim view bundle</code> (from here) or
<code>python3 -m http.server</code> in this folder and open http://127.0.0.1:8000/.</p>
</body>
</html>
`;
  ctx.written.push(await ctx.staging.write([...report, 'index.html'], html));
}
