/**
 * The model's input as the viewer shows it (issues #12 item 7, #16): non-square inputs drawn
 * at their real aspect in the 2D frame (measured from the element's box and from the
 * screenshot's pixels, within 2%) without leaving their column, and the model contract
 * (manifest.contract) shown beside the prediction, refused clearly, naming the field, when
 * damaged or absent (every bundle of version 1 the CLI writes has one).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BundleContract } from '@camanim/cam-methods';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { defaultContract, smallNet, stridedNet, writeBundle } from './helpers/bundle.ts';
import { api, drawnBox, settled, startSession, type ViewerSession } from './helpers/harness.ts';

/** Where the screenshots go, for a person to look at. */
const SHOTS = process.env.CAMANIM_SHOTS ?? join(tmpdir(), 'camanim-model-input-shots');
/** The frame panel's background (style.css --panel). */
const PANEL: [number, number, number] = [0x16, 0x1a, 0x21];

let root: string;
let session: ViewerSession;

const page = (query: string) => session.page(query);

/** [name, H, W]: wide and tall recogniser-style inputs, the square case, and the 1:8 and 8:1 ends. */
const SIZES: [string, number, number][] = [
  ['wide-48x192', 48, 192],
  ['tall-192x48', 192, 48],
  ['square-96x96', 96, 96],
  ['wide-32x256', 32, 256],
  ['tall-256x32', 256, 32],
];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'camanim-model-input-'));
  mkdirSync(SHOTS, { recursive: true });
  for (const [name, H, W] of SIZES) writeBundle(join(root, name), { width: W, height: H, layers: stridedNet(H, W) });
  writeBundle(join(root, 'no-contract'), { width: 96, height: 96, layers: smallNet() });
  const file = join(root, 'no-contract', 'manifest.json');
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), contract: undefined }));
  // Deliberately off the schema: what a damaged manifest holds.
  const damaged = (edit: (c: { input: Record<string, unknown>; output: Record<string, unknown> }) => void): BundleContract => {
    const c = structuredClone(defaultContract(96, 96)) as unknown as {
      input: Record<string, unknown>;
      output: Record<string, unknown>;
    };
    edit(c);
    return c as unknown as BundleContract;
  };
  writeBundle(join(root, 'bad-layout'), {
    width: 96,
    height: 96,
    layers: smallNet().slice(0, 3),
    contract: damaged((c) => (c.input.layout = 'NCWH')),
  });
  writeBundle(join(root, 'bad-mean'), {
    width: 96,
    height: 96,
    layers: smallNet().slice(0, 3),
    contract: damaged((c) => (c.input.mean = '0.5')),
  });
  writeBundle(join(root, 'bad-activation'), {
    width: 96,
    height: 96,
    layers: smallNet().slice(0, 3),
    contract: damaged((c) => (c.output.activation = 'tanh')),
  });
  session = await startSession(root);
});

afterAll(async () => {
  await session?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('the 2D frame is drawn at the input aspect', () => {
  test.each(SIZES)('%s', async (name, H, W) => {
    const p = await page(`?bundle=b/${name}/`);
    expect(await settled(p)).toBe('ready');
    await api(p, 'camanim.goTo(4)');
    const want = W / H;
    // The element's box.
    const map = p.locator('#frame [data-role=frame]');
    const box = (await map.boundingBox())!;
    const boxError = Math.abs(box.width / box.height / want - 1);
    // The pixels: the screenshot of the frame body, the map being the drawn run at its left.
    const body = p.locator('#frame .frame-body');
    const shot = await body.screenshot();
    writeFileSync(join(SHOTS, `${name}-frame.png`), shot);
    await p.screenshot({ path: join(SHOTS, `${name}-page.png`) });
    const drawn = await drawnBox(p, shot, PANEL);
    const pixelError = Math.abs(drawn.width / drawn.height / want - 1);
    console.log(
      `${name}: box ${box.width.toFixed(1)}×${box.height.toFixed(1)} (error ${(boxError * 100).toFixed(2)}%), pixels ${drawn.width}×${drawn.height} (error ${(pixelError * 100).toFixed(2)}%)`,
    );
    expect(boxError).toBeLessThan(0.02);
    // One pixel of rounding on a 45-pixel side is 2.2%: allow it where the short side is that small.
    expect(pixelError).toBeLessThan(Math.max(0.02, 1.5 / Math.min(drawn.width, drawn.height)));
    expect(Math.abs(drawn.width - box.width)).toBeLessThanOrEqual(2);
    expect(Math.abs(drawn.height - box.height)).toBeLessThanOrEqual(2);
    // Inside its column, at a readable size, and the column does not scroll sideways.
    const column = (await p.locator('#frame').boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(column.x);
    expect(box.x + box.width).toBeLessThanOrEqual(column.x + column.width);
    expect(Math.max(box.width, box.height)).toBeGreaterThanOrEqual(200);
    expect(await api(p, 'document.querySelector("aside").scrollWidth <= document.querySelector("aside").clientWidth')).toBe(true);
    await p.close();
  });
});

describe('the model contract', () => {
  test('shown beside the prediction, the whole contract on hover', async () => {
    const p = await page('?bundle=b/wide-48x192/');
    expect(await settled(p)).toBe('ready');
    const summary = (defaultContract(48, 192) as { summary: string }).summary;
    const el = p.locator('[data-role=contract]');
    expect(await el.isVisible()).toBe(true);
    expect(await el.textContent()).toBe(summary);
    const detail = (await el.getAttribute('title'))!;
    for (const part of [
      '48×192',
      'NCHW',
      'RGB',
      'mean 0.485, 0.456, 0.406',
      'std 0.229, 0.224, 0.225',
      'crop',
      'mean: preset imagenet (--preset)',
      "output 'logits' [1, 10]",
      'explained: logits',
    ])
      expect(detail).toContain(part);
    expect(await api(p, 'camanim.explanation.contract')).toBe(summary);
    await p.close();
  });

  const damaged: [string, RegExp][] = [
    ['no-contract', /contract must be an object, got null/],
    ['bad-layout', /contract\.input\.layout must be one of 'NCHW', 'NHWC', got "NCWH"/],
    ['bad-mean', /contract\.input\.mean must be an array of 3 finite numbers, got "0\.5"/],
    ['bad-activation', /contract\.output\.activation must be one of 'softmax', 'logsoftmax', 'sigmoid', 'none', got "tanh"/],
  ];
  test.each(damaged)('a damaged one is refused, naming the field: %s', async (name, message) => {
    const p = await page(`?bundle=b/${name}/`);
    expect(await settled(p)).toBe('error');
    expect(await api(p, 'camanim.errorCode')).toBe('bad-bundle');
    expect(await api(p, 'camanim.error')).toMatch(message);
    expect(await p.textContent('[data-role=error-text]')).toMatch(message);
    await p.close();
  });
});

// Issue #16: "0 905" on the yellow bar. The label was drawn over the bar's end, white on yellow.
test('the prediction card: every probability after its bar, on the dark card, its decimal point drawn', async () => {
  const p = await page('?bundle=b/wide-48x192/');
  expect(await settled(p)).toBe('ready');
  const L = await api<number>(p, 'camanim.layers.length');
  await api(p, `camanim.goTo(${L - 1})`);
  await p.locator('#view').screenshot({ path: join(SHOTS, 'last-layer.png') });
  await api(p, `camanim.seek(${L})`);
  await p.locator('#view').screenshot({ path: join(SHOTS, 'prediction.png') });
  const card = (await api<string>(p, 'camanim.predictionCard()'))!;
  writeFileSync(join(SHOTS, 'prediction-card.png'), Buffer.from(card.split(',')[1], 'base64'));
  // Per bar row (rows at y = 140 + 64k, 40 high): the columns holding bar colour and those
  // holding text (light grey, bluish unlike the yellow bar) right of the label column.
  const rows = await p.evaluate(async (url) => {
    const bmp = await createImageBitmap(await (await fetch(url)).blob());
    const c = document.createElement('canvas');
    c.width = bmp.width;
    c.height = bmp.height;
    const ctx = c.getContext('2d')!;
    ctx.drawImage(bmp, 0, 0);
    const out: { barEnd: number; textStart: number; glyphs: number }[] = [];
    for (let k = 0; k < 5; k++) {
      const d = ctx.getImageData(0, 140 + k * 64, c.width, 40).data;
      const at = (x: number, y: number) => d.subarray((y * c.width + x) * 4, (y * c.width + x) * 4 + 3);
      let barEnd = -1;
      const text: boolean[] = [];
      for (let x = 195; x < c.width; x++) {
        let bar = false;
        let light = false;
        for (let y = 0; y < 40; y++) {
          const [r, g, b] = at(x, y);
          if ((r > 200 && g > 160 && b < 120) || (Math.abs(r - 0x4f) < 8 && Math.abs(g - 0x6d) < 8 && Math.abs(b - 0x9a) < 8))
            bar = true;
          if (r > 150 && g > 150 && b > 150) light = true;
        }
        if (bar) barEnd = x;
        text[x] = light;
      }
      const textStart = text.findIndex((t) => t);
      let glyphs = 0;
      for (let x = 196; x < c.width; x++) if (text[x] && !text[x - 1]) glyphs++;
      out.push({ barEnd, textStart, glyphs });
    }
    return out;
  }, card);
  for (const r of rows) {
    expect(r.textStart).toBeGreaterThan(r.barEnd);
    // "0.910": five glyphs, the point one of them.
    expect(r.glyphs).toBe(5);
  }
  await p.close();
});

test('no console errors on any page', () => {
  expect(session.errors).toEqual([]);
});
