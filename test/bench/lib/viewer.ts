/**
 * The viewer (packages/viewer, built by vite into a private folder, so that a concurrent build
 * of dist/ cannot empty it mid-run) in headless Chromium with WebGPU on SwiftShader, through the
 * viewer tests' own harness: the page at /, a scratch folder at /b/ holding links to
 * bench-models/ and the CLI's assets, and whatever bundles a section writes.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { buildViewer, launch, open, settled, serve, type OpenedPage } from '../../../packages/viewer/test/helpers/harness.ts';
import { MODELS_DIR, REPO } from './env.ts';
import { firstLine, progress } from './measure.ts';

export const ASSETS = join(REPO, 'packages/cli/assets');

export interface ViewerSession {
  /** The scratch folder served at /b/ (bench-models/ is /b/models/, the CLI's assets /b/assets/). */
  readonly root: string;
  readonly chromium: string;
  /** Opens the viewer at ?<query> and waits until it leaves 'loading'. */
  page(query: string, viewport: { width: number; height: number }): Promise<OpenedPage>;
  close(): Promise<void>;
}

export async function openViewer(): Promise<ViewerSession | { skip: string }> {
  const work = mkdtempSync(join(tmpdir(), 'camanim-bench-viewer-'));
  const [site, root] = [join(work, 'site'), join(work, 'b')];
  let ctx: BrowserContext | undefined;
  let server: Awaited<ReturnType<typeof serve>> | undefined;
  const close = async () => {
    await ctx?.close().catch(() => undefined);
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  };
  try {
    progress('viewer: vite build of packages/viewer');
    buildViewer(site);
    mkdirSync(root);
    if (existsSync(MODELS_DIR)) symlinkSync(MODELS_DIR, join(root, 'models'));
    symlinkSync(ASSETS, join(root, 'assets'));
    server = await serve(root, site);
    ctx = await launch();
    const version = ctx.browser()?.version() ?? 'unknown';
    const url = server.url;
    const page = async (query: string, viewport: { width: number; height: number }) => {
      const opened = await open(ctx!, `${url}?${query}`);
      await opened.page.setViewportSize(viewport);
      if ((await settled(opened.page, 300_000)) === 'error')
        throw new Error(`the viewer did not open ?${query}: ${await opened.page.evaluate('camanim.error')}`);
      return opened;
    };
    return { root, chromium: version, page, close };
  } catch (e) {
    await close();
    return { skip: `the viewer in headless Chromium failed: ${firstLine(e)}` };
  }
}
