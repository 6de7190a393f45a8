/**
 * Screenshots of the viewer for the docs: the page at three points of the stack (first layer,
 * the ybROAD-best or middle layer, last layer) and a short GIF of the flythrough (fixed camera
 * positions, so reruns give the same frames), plus the flythrough's frame times.
 *
 *   pnpm viewer-shots                                  # CLI bundle of the bundled model, else synthetic
 *   pnpm viewer-shots --bundle camanim-out/bag-0/bundle
 *   pnpm viewer-shots --synthetic resnet50 --out /tmp/shots
 *   pnpm viewer-shots --bundle <dir> --norm local      # each layer in its own range
 *
 * Writes docs/viewer-first.png, docs/viewer-middle.png, docs/viewer-last.png and
 * docs/viewer-flythrough.gif (at the repository root unless --out).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as gifencModule from 'gifenc';
import { resnet50Net, smallNet, writeBundle } from '../test/helpers/bundle.ts';
import { VIEWER, buildViewer, flythrough, launch, open, serve, settled } from '../test/helpers/harness.ts';

const gifenc = 'GIFEncoder' in gifencModule ? (gifencModule as unknown as typeof gifencModule.default) : gifencModule.default;
const REPO = resolve(VIEWER, '../..');
const CLI = join(REPO, 'packages/cli/bin/camanim.js');
const BUNDLED = join(REPO, 'packages/cli/assets/fashion-canvas.onnx');

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    bundle: { type: 'string' },
    synthetic: { type: 'string' },
    out: { type: 'string', default: join(REPO, 'docs') },
    frames: { type: 'string', default: '36' },
    width: { type: 'string', default: '480' },
    'no-build': { type: 'boolean', default: false },
    'time-seconds': { type: 'string', default: '10' },
    norm: { type: 'string', default: 'global' },
  },
});

// `pnpm viewer-shots` at the root runs this in packages/viewer: paths are the user's.
const from = (p: string) => resolve(process.env.INIT_CWD ?? process.cwd(), p);
args.out = from(args.out!);
const work = mkdtempSync(join(tmpdir(), 'camanim-shots-'));
const dest = join(work, 'bundle');
let what: string;
if (args.bundle) {
  cpSync(from(args.bundle), dest, { recursive: true });
  what = `bundle ${args.bundle}`;
} else if (!args.synthetic && existsSync(BUNDLED)) {
  const help = execFileSync(process.execPath, [CLI, 'explain', '--help'], { encoding: 'utf8' });
  const extra = help.includes('--ybroad') ? ['--ybroad'] : [];
  console.log(`camanim explain --format bundle ${extra.join(' ')} on the bundled model…`);
  execFileSync(process.execPath, [CLI, 'explain', '--format', 'bundle', ...extra, '--out', join(work, 'cli'), '--quiet'], { stdio: 'inherit' });
  const out = execFileSync('find', [join(work, 'cli'), '-name', 'manifest.json'], { encoding: 'utf8' }).trim().split('\n')[0];
  cpSync(resolve(out, '..'), dest, { recursive: true });
  what = 'the bundled fashion-canvas model (camanim explain)';
} else {
  const big = (args.synthetic ?? 'resnet50') === 'resnet50';
  writeBundle(dest, big ? { width: 224, height: 224, layers: resnet50Net() } : { width: 96, height: 96, layers: smallNet() });
  what = `synthetic CAMs on ${big ? "ResNet-50's layer structure (224×224)" : 'a small CNN (96×96)'}`;
}
console.log(`source: ${what}`);

if (!args['no-build']) buildViewer();
const server = await serve(work);
const ctx = await launch();
try {
  const { page, errors } = await open(ctx, `${server.url}?bundle=b/bundle/&norm=${args.norm}`);
  await page.setViewportSize({ width: 1360, height: 800 });
  if ((await settled(page, 300_000)) !== 'ready') throw new Error(`the viewer did not open the bundle: ${await page.evaluate('camanim.error')}`);
  const L = (await page.evaluate('camanim.layers.length')) as number;
  const yb = (await page.evaluate('camanim.ybroad')) as { max: { layer: number } } | null;
  const middle = yb ? yb.max.layer : Math.floor(L / 2);
  mkdirSync(args.out!, { recursive: true });
  for (const [name, k] of [['first', 0], ['middle', middle], ['last', L - 1]] as const) {
    await page.evaluate(`camanim.goTo(${k})`);
    await page.screenshot({ path: join(args.out!, `viewer-${name}.png`) });
    console.log(`docs: viewer-${name}.png (layer ${k + 1}/${L})`);
  }

  // The GIF: the 3D view at evenly spaced camera positions from the input to the prediction.
  const frames = Math.max(8, Number(args.frames));
  const width = Number(args.width);
  const gif = gifenc.GIFEncoder();
  let height = 0;
  for (let f = 0; f < frames; f++) {
    const u = -1 + ((L + 1) * f) / (frames - 1);
    await page.evaluate(`camanim.seek(${u})`);
    const png = await page.locator('#view').screenshot();
    const { w, h, b64 } = (await page.evaluate(
      `(async () => {
        const bytes = Uint8Array.from(atob('${png.toString('base64')}'), (c) => c.charCodeAt(0));
        const bmp = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
        const w = ${width};
        const h = Math.round((bmp.height * w) / bmp.width / 2) * 2;
        const c = document.createElement('canvas');
        c.width = w;
        c.height = h;
        const ctx = c.getContext('2d');
        ctx.imageSmoothingQuality = 'high';
        ctx.drawImage(bmp, 0, 0, w, h);
        const d = ctx.getImageData(0, 0, w, h).data;
        let s = '';
        for (let i = 0; i < d.length; i += 8192) s += String.fromCharCode.apply(null, d.subarray(i, i + 8192));
        return { w, h, b64: btoa(s) };
      })()`,
    )) as { w: number; h: number; b64: string };
    height = h;
    const rgba = new Uint8Array(Buffer.from(b64, 'base64'));
    const palette = gifenc.quantize(rgba, 256);
    gif.writeFrame(gifenc.applyPalette(rgba, palette), w, h, { palette, delay: f === frames - 1 ? 1500 : 120, repeat: 0 });
  }
  gif.finish();
  writeFileSync(join(args.out!, 'viewer-flythrough.gif'), gif.bytes());
  console.log(`docs: viewer-flythrough.gif (${frames} frames, ${width}×${height})`);

  // Frame times while the camera flies (software rendering here: SwiftShader on the CPU).
  const seconds = Number(args['time-seconds']);
  const stats = await flythrough(page, seconds);
  console.log(`frame times over ${seconds} s of flythrough:`, stats);
  if (errors.length) console.warn('console errors:', errors);
} finally {
  await ctx.close();
  await server.close();
  rmSync(work, { recursive: true, force: true });
}
