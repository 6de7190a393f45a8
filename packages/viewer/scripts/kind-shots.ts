/**
 * A screenshot of the viewer per kind of model (issue #13): `camanim explain` end to end on the
 * test fixtures of each kind (reduced width, random weights: the frames show what camanim makes
 * of the architecture, not what a trained model attends to), the bundle opened in the viewer at
 * the layer chosen below under local normalization (random weights leave many layers' maps far
 * below the stack's largest), the page captured.
 *
 *   pnpm kind-shots                         # every kind, into docs/kinds/
 *   pnpm kind-shots --only vit,detect       # some
 *   pnpm kind-shots --out /tmp/kinds
 *
 * The fixtures are the CLI tests' (packages/cli/test/fixtures, test/fixtures/models); a missing
 * one fails with the command that makes it.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { VIEWER, buildViewer, launch, open, serve, settled } from '../test/helpers/harness.ts';

const REPO = resolve(VIEWER, '../..');
const CLI = join(REPO, 'packages/cli/bin/camanim.js');
const CONTRACT = join(REPO, 'packages/cli/test/fixtures/contract');
const DETECT = join(REPO, 'packages/cli/test/fixtures/detect');
const MODELS = join(REPO, 'test/fixtures/models');

interface Kind {
  /** What the screenshot shows, printed beside its file. */
  what: string;
  model: string;
  /** The explain arguments after --model. */
  args: string[];
  /** The layer shown, as a share of the depth (0 first, 1 last), and a video's input frame (1-based). */
  at: number;
  frame?: number;
  /** The command that makes the fixture. */
  make: string;
}

const KINDS: Record<string, Kind> = {
  vit: {
    what: 'ViT (B/16 layout, fewer blocks): token layers as maps on the patch grid, class token dropped',
    model: join(CONTRACT, 'vit-tiny.onnx'),
    args: ['--image', join(CONTRACT, 'image-32x32.png'), '--preset', 'imagenet', '--resize', 'stretch'],
    at: 0.95,
    make: '/usr/bin/python3 tools/vit_reference.py',
  },
  swin: {
    what: 'Swin-T (reduced): channels-last stages, shifted-window masks folded at load time',
    model: join(CONTRACT, 'swin-tiny.onnx'),
    args: ['--image', join(CONTRACT, 'image-32x32.png'), '--preset', 'imagenet', '--resize', 'stretch'],
    at: 0.7,
    make: '/usr/bin/python3 tools/swin_reference.py',
  },
  convnext: {
    what: 'ConvNeXt (reduced): NHWC intermediates explained with the channel axis last',
    model: join(CONTRACT, 'convnext-tiny.onnx'),
    args: ['--image', join(CONTRACT, 'image-32x32.png'), '--preset', 'imagenet', '--resize', 'stretch'],
    at: 0.7,
    make: '/usr/bin/python3 tools/convnext_reference.py',
  },
  segment: {
    what: "segmentation (--task segment): the class's logits summed over the pixels predicted as it",
    model: join(CONTRACT, 'segment.onnx'),
    args: ['--image', join(CONTRACT, 'image-48x192.png'), '--mean', '0.5', '--std', '0.5', '--task', 'segment'],
    at: 0.85,
    make: '/usr/bin/python3 tools/segment_reference.py',
  },
  detect: {
    what: "SSDlite (--task detect --box 0): the box chosen by the graph's own post-processing, its score in the pre-NMS head",
    model: join(DETECT, 'ssdlite.onnx'),
    args: ['--image', join(DETECT, 'image-128x128.png'), '--mean', '0', '--std', '1', '--task', 'detect', '--box', '0'],
    at: 0.5,
    make: '/usr/bin/python3 tools/ssdlite_reference.py',
  },
  'two-stage': {
    what: "Faster R-CNN (--task detect --box 1): the RPN's proposals and the box head run on the host, the gradient through RoiAlign",
    model: join(DETECT, 'fasterrcnn.onnx'),
    args: ['--image', join(DETECT, 'image-160x160.png'), '--mean', '0', '--std', '1', '--task', 'detect', '--box', '1'],
    at: 0.6,
    make: '/usr/bin/python3 tools/fasterrcnn_reference.py',
  },
  sequence: {
    what: 'text recogniser (--task sequence): the CTC log-probability of the greedy decoding',
    model: join(CONTRACT, 'sequence.onnx'),
    args: ['--image', join(CONTRACT, 'image-48x192.png'), '--mean', '0.5', '--std', '0.5', '--task', 'sequence'],
    at: 0.8,
    make: '/usr/bin/python3 tools/task_references.py',
  },
  video: {
    what: 'R3D-18 (--video, 8 frames of 112×112): a map per frame at every block; frame 5 of 8 shown',
    model: join(MODELS, 'r3d_18.onnx'),
    args: [
      '--video',
      join(REPO, 'packages/cli/test/fixtures/video'),
      '--mean',
      '0.43216,0.394666,0.37645',
      '--std',
      '0.22803,0.22145,0.216989',
      '--resize',
      'stretch',
    ],
    at: 0.6,
    frame: 5,
    make: '/usr/bin/python3 tools/video_models.py',
  },
};

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    only: { type: 'string' },
    out: { type: 'string', default: join(REPO, 'docs/kinds') },
    'no-build': { type: 'boolean', default: false },
  },
});
const from = (p: string) => resolve(process.env.INIT_CWD ?? process.cwd(), p);
const out = from(args.out!);
const names = args.only ? args.only.split(',') : Object.keys(KINDS);
/** A message and exit 1, no stack: the user's mistake or a fixture to make. */
const refuse = (message: string): never => {
  console.error(`kind-shots: ${message}`);
  process.exit(1);
};
for (const n of names) if (!KINDS[n]) refuse(`--only: no kind '${n}' (kinds: ${Object.keys(KINDS).join(', ')})`);
for (const n of names) if (!existsSync(KINDS[n].model)) refuse(`${KINDS[n].model} is missing: make it with ${KINDS[n].make}`);

const work = mkdtempSync(join(tmpdir(), 'camanim-kinds-'));
try {
  for (const n of names) {
    const k = KINDS[n];
    console.log(`${n}: camanim explain ${k.args.filter((a) => !a.startsWith('/')).join(' ')}…`);
    const dest = join(work, 'cli', n);
    execFileSync(process.execPath, [CLI, 'explain', '--model', k.model, ...k.args, '--format', 'bundle', '--quiet', '--out', dest], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const manifest = execFileSync('find', [dest, '-name', 'manifest.json'], { encoding: 'utf8' }).trim().split('\n')[0];
    cpSync(dirname(manifest), join(work, n), { recursive: true });
  }
  if (!args['no-build']) buildViewer();
  const server = await serve(work);
  const ctx = await launch();
  try {
    mkdirSync(out, { recursive: true });
    for (const n of names) {
      const k = KINDS[n];
      const { page, errors } = await open(ctx, `${server.url}?bundle=b/${n}/&norm=local${k.frame !== undefined ? `&frame=${k.frame}` : ''}`);
      await page.setViewportSize({ width: 1360, height: 800 });
      if ((await settled(page, 300_000)) !== 'ready') throw new Error(`${n}: the viewer did not open the bundle: ${await page.evaluate('camanim.error')}`);
      const L = (await page.evaluate('camanim.layers.length')) as number;
      const layer = Math.round(k.at * (L - 1));
      await page.evaluate(`camanim.goTo(${layer})`);
      await page.screenshot({ path: join(out, `${n}.png`) });
      console.log(`${join(out, `${n}.png`)}: layer ${layer + 1}/${L} · ${k.what}`);
      if (errors.length) console.warn(`${n}: console errors:`, errors);
      await page.close();
    }
  } finally {
    await ctx.close();
    await server.close();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
