/**
 * The viewer in Debian's chromium (WebGPU on SwiftShader): a bundle written in the CLI's
 * format opens with one plane per layer, the view is drawn and follows the camera, the
 * ybROAD chart and the 2D frame stay in sync with goTo/keys/scrubbing, the URL keeps the
 * state, the WebGL path opens bundles without WebGPU, and every bad input of issue 7 item 8
 * ends in a clear message (state 'error'), never a blank page or an uncaught exception.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { zipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { smallNet, writeBundle, type WrittenBundle } from './helpers/bundle.ts';
import { api, flythrough, settled, shotStats, signatureDistance, startSession, type ViewerSession } from './helpers/harness.ts';
import { unsupportedOpBytes } from './helpers/models.ts';

let root: string;
let session: ViewerSession;
let small: WrittenBundle;

/** The bundle folder as a zip, after `edit` changes its files (name → bytes, undefined removes). */
function zipBundle(name: string, dir: string, edit: (files: Record<string, Uint8Array>) => void): void {
  const files: Record<string, Uint8Array> = {};
  for (const f of ['manifest.json', 'input.png', 'gradcam.layer.bin', 'gradcam.input.bin'])
    files[`bundle/${f}`] = readFileSync(join(dir, f));
  edit(files);
  writeFileSync(join(root, name), zipSync(files));
}

const page = (query: string, opts: { noWebGPU?: boolean } = {}) => session.page(query, opts);

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'camanim-viewer-'));
  small = writeBundle(join(root, 'small'), { width: 96, height: 96, layers: smallNet() });
  writeBundle(join(root, 'no-ybroad'), { width: 96, height: 96, layers: smallNet(), ybroad: null });
  writeBundle(join(root, 'nested/bag-0/bundle'), { width: 96, height: 96, layers: smallNet() });
  writeBundle(join(root, 'two'), { width: 64, height: 48, layers: smallNet().slice(0, 6), methods: ['gradcam', 'hirescam'] });
  writeBundle(join(root, 'rest'), {
    width: 64,
    height: 48,
    layers: smallNet().slice(0, 3),
    methods: ['gradcam', 'hirescam'],
    targetKind: 'rest',
  });
  writeBundle(join(root, 'no-kind'), { width: 64, height: 48, layers: smallNet().slice(0, 3), targetKind: null });
  writeBundle(join(root, 'detect'), {
    width: 64,
    height: 48,
    layers: smallNet().slice(0, 3),
    targetCaption: 'box #2 person 0.912 · Σ scores 0.912',
  });
  const dir = small.dir;
  zipBundle('good.zip', dir, () => {});
  zipBundle('missing.zip', dir, (f) => delete f['bundle/gradcam.input.bin']);
  zipBundle(
    'short.zip',
    dir,
    (f) =>
      (f['bundle/gradcam.layer.bin'] = f['bundle/gradcam.layer.bin'].subarray(0, f['bundle/gradcam.layer.bin'].length - 100)),
  );
  zipBundle(
    'version.zip',
    dir,
    (f) =>
      (f['bundle/manifest.json'] = new TextEncoder().encode(
        JSON.stringify({ ...JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')), version: 2 }),
      )),
  );
  zipBundle('bad-image.zip', dir, (f) => (f['bundle/input.png'] = new TextEncoder().encode('this is not a PNG')));
  zipBundle('bad-offset.zip', dir, (f) => {
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    m.cams[0].layers[3].input.byteOffset = 2 ** 40;
    f['bundle/manifest.json'] = new TextEncoder().encode(JSON.stringify(m));
  });
  session = await startSession(root);
});

afterAll(async () => {
  await session?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('a result bundle', () => {
  let p: Page;
  const L = smallNet().length;

  beforeAll(async () => {
    p = await page('?bundle=b/small/');
    expect(await settled(p)).toBe('ready');
  });

  afterAll(() => p?.close());

  test('one plane per manifest layer, in manifest order, on WebGPU', async () => {
    const state = await api<{ layers: { name: string; opType: string; shape: number[] }[]; planes: number; backend: string }>(
      p,
      '({ layers: camanim.layers, planes: camanim.planes, backend: camanim.backend })',
    );
    expect(state.backend).toBe('webgpu');
    expect(state.planes).toBe(small.manifest.layers.length);
    expect(state.layers.map((l) => l.name)).toEqual(small.manifest.layers.map((l) => l.name));
    expect(await p.getAttribute('html', 'data-state')).toBe('ready');
  });

  test('the view is drawn and changes when the camera moves; chart and frame follow goTo', async () => {
    await api(p, 'camanim.goTo(0)');
    const first = await shotStats(p, await p.locator('#view').screenshot());
    expect(first.std).toBeGreaterThan(8);
    expect(first.colours).toBeGreaterThan(40);
    await api(p, `camanim.goTo(${L - 1})`);
    const last = await shotStats(p, await p.locator('#view').screenshot());
    expect(last.std).toBeGreaterThan(8);
    expect(signatureDistance(first, last)).toBeGreaterThan(3);
    expect(await api(p, 'camanim.current')).toBe(L - 1);
    expect(await p.getAttribute('[data-role=cursor]', 'data-layer')).toBe(String(L - 1));
    expect(await p.textContent('[data-role=readout]')).toBe(`${L} / ${L}`);
    expect(await p.textContent('.frame-title')).toContain(`layer ${L}/${L}`);
    expect(await p.textContent('.frame-name')).toBe(small.manifest.layers[L - 1].name);
  });

  test('ybROAD chart: a point per layer, the maximum on the manifest best layer, the mean as a rule', async () => {
    const best = (small.manifest as unknown as { cams: { ybroad: { max: { layer: number } } }[] }).cams[0].ybroad.max.layer;
    expect(await p.locator('#chart circle.point').count()).toBe(L);
    expect(await p.getAttribute('#chart circle.point.max', 'data-layer')).toBe(String(best));
    expect(await p.getAttribute('[data-role=max]', 'data-layer')).toBe(String(best));
    expect(await p.locator('[data-role=mean]').count()).toBe(1);
    // The y ticks are nice numbers: equal steps of 1, 2, 2.5 or 5 × 10^k, covering the series.
    const ticks = (await p.locator('#chart text.y-tick').allTextContents()).map(Number);
    const steps = ticks.slice(1).map((v, k) => Number((v - ticks[k]).toPrecision(6)));
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    expect(new Set(steps).size).toBe(1);
    expect([1, 2, 2.5, 5]).toContain(Number((steps[0] / 10 ** Math.floor(Math.log10(steps[0]))).toFixed(6)));
    // Scrubbing the chart flies the camera there.
    const box = (await p.locator(`#chart circle.point[data-layer="2"]`).boundingBox())!;
    await p.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await p.waitForFunction(() => window.camanim.current === 2);
    expect(await p.getAttribute('[data-role=cursor]', 'data-layer')).toBe('2');
  });

  test('keyboard, normalization and the URL', async () => {
    await p.locator('#view').click();
    await p.keyboard.press('End');
    await p.waitForFunction((n) => window.camanim.current === n, L - 1);
    await p.keyboard.press('Home');
    await p.waitForFunction(() => window.camanim.current === 0);
    await p.keyboard.press('ArrowRight');
    await p.waitForFunction(() => window.camanim.current === 1);
    await p.waitForFunction(() => new URLSearchParams(location.search).get('layer') === '2');
    const global = await shotStats(p, await p.locator('#view').screenshot());
    const globalTicks = await p.textContent('[data-role=ticks]');
    await api(p, "camanim.setNormalization('local')");
    expect(new URL(p.url()).searchParams.get('norm')).toBe('local');
    expect(await p.textContent('[data-role=ticks]')).not.toBe(globalTicks);
    const local = await shotStats(p, await p.locator('#view').screenshot());
    expect(signatureDistance(global, local)).toBeGreaterThan(0.5);
    // The address reopens the same view.
    const again = await page(new URL(p.url()).search);
    expect(await settled(again)).toBe('ready');
    expect(await api(again, '[camanim.current, camanim.normalization]')).toEqual([1, 'local']);
    await again.close();
    // Space plays: the camera moves on by itself.
    await p.keyboard.press('Space');
    await p.waitForFunction(() => window.camanim.current >= 3, null, { timeout: 60_000 });
    await api(p, 'camanim.pause()');
  });

  test('free orbit while paused', async () => {
    await api(p, 'camanim.goTo(2)');
    const before = await shotStats(p, await p.locator('#view').screenshot());
    const box = (await p.locator('#view').boundingBox())!;
    await p.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
    await p.mouse.down();
    await p.mouse.move(box.x + box.width * 0.25, box.y + box.height * 0.4, { steps: 6 });
    await p.mouse.up();
    await p.waitForTimeout(300);
    const after = await shotStats(p, await p.locator('#view').screenshot());
    expect(signatureDistance(before, after)).toBeGreaterThan(2);
    expect(await api(p, 'camanim.current')).toBe(2);
    // Flying on from an orbit blends back onto the path.
    await api(p, 'camanim.goTo(3)');
    expect(await api(p, 'camanim.current')).toBe(3);
  });

  test('PNG export of the view', async () => {
    const url = await api<string>(p, 'camanim.snapshot()');
    expect(url.startsWith('data:image/png;base64,')).toBe(true);
    const stats = await shotStats(p, Buffer.from(url.split(',')[1], 'base64'));
    expect(stats.std).toBeGreaterThan(8);
  });

  test('frame times are recorded while the camera flies, and only then', async () => {
    const f = await flythrough(p, 2);
    expect(f.frames).toBeGreaterThan(2);
    expect(f.reached).toBeGreaterThan(0);
    expect(f.medianMs).toBeGreaterThan(0);
    expect(f.medianMs).toBeLessThanOrEqual(f.p95Ms);
    await p.waitForTimeout(300);
    expect(await api(p, 'camanim.stats().frames')).toBe(f.frames);
  });

  test('WebM of the flythrough', async () => {
    await p.selectOption('[data-role=speed]', '16');
    const [download] = await Promise.all([p.waitForEvent('download', { timeout: 90_000 }), p.click('[data-role=webm]')]);
    expect(download.suggestedFilename()).toBe('camanim-flythrough.webm');
    const bytes = readFileSync((await download.path())!);
    expect(bytes.length).toBeGreaterThan(1000);
    expect([...bytes.subarray(0, 4)]).toEqual([0x1a, 0x45, 0xdf, 0xa3]);
    expect(new URL(p.url()).searchParams.get('speed')).toBe('16');
  });
});

test('a bundle with several explanations: switch between them, the URL keeps the choice', async () => {
  const p = await page('?bundle=b/two/&layer=3');
  expect(await settled(p)).toBe('ready');
  expect(await api(p, 'camanim.explanation.method')).toBe('Grad-CAM');
  expect(await api(p, 'camanim.current')).toBe(2);
  const gradcam = await api<number[]>(p, "camanim.map(2, 'layer')");
  await p.selectOption('[data-role=explanation]', 'hirescam');
  await p.waitForFunction(() => window.camanim.explanation?.method === 'HiResCAM');
  expect(await api<number[]>(p, "camanim.map(2, 'layer')")).not.toEqual(gradcam);
  expect(await api(p, 'camanim.current')).toBe(2);
  await p.waitForFunction(() => new URLSearchParams(location.search).get('method') === 'hirescam');
  const again = await page(new URL(p.url()).search);
  expect(await settled(again)).toBe('ready');
  expect(await api(again, 'camanim.explanation.method')).toBe('HiResCAM');
  // Only the first explanation carries ybROAD here; the chart says so for the second.
  expect(await again.locator('[data-role=no-ybroad]').count()).toBe(1);
  await again.close();
  await p.close();
});

test('without ybROAD in the manifest the chart says so', async () => {
  const p = await page('?bundle=b/no-ybroad/');
  expect(await settled(p)).toBe('ready');
  expect(await p.textContent('[data-role=no-ybroad]')).toContain('--ybroad');
  expect(await p.locator('#chart circle.point').count()).toBe(0);
  await p.close();
});

test('the target kind: a ReST bundle names it in the frame and the explanation list; a bundle without it explains the logit', async () => {
  const rest = await page('?bundle=b/rest/');
  expect(await settled(rest)).toBe('ready');
  expect(await api(rest, 'camanim.explanation.target')).toEqual({ class: 8, label: 'Bag', kind: 'rest' });
  expect(await rest.textContent('.frame-detail')).toMatch(
    /^Grad-CAM · Bag \(class 8\) · ReST target · score 7\.250 · p 0\.910 · /,
  );
  expect(await rest.locator('[data-role=explanation] option').allTextContents()).toEqual([
    'Grad-CAM · Bag (class 8) · ReST target',
    'HiResCAM · Bag (class 8) · ReST target',
  ]);
  await rest.close();
  const old = await page('?bundle=b/no-kind/');
  expect(await settled(old)).toBe('ready');
  expect(await api(old, 'camanim.explanation.target.kind')).toBe('logit');
  expect(await old.textContent('.frame-detail')).toMatch(/^Grad-CAM · Bag \(class 8\) · score 7\.250 · p 0\.910 · /);
  await old.close();
  // A task's target in its own words (a detection: which box), as the CLI's frames say it.
  const box = await page('?bundle=b/detect/');
  expect(await settled(box)).toBe('ready');
  expect(await box.textContent('.frame-detail')).toMatch(/^Grad-CAM · box #2 person 0\.912 · Σ scores 0\.912 · score 7\.250 · /);
  await box.close();
});

test('a .zip dropped on the page opens', async () => {
  const p = await page('');
  await settled(p);
  const bytes = [...readFileSync(join(root, 'good.zip'))];
  const dt = await p.evaluateHandle((b) => {
    const t = new DataTransfer();
    t.items.add(new File([new Uint8Array(b)], 'good.zip', { type: 'application/zip' }));
    return t;
  }, bytes);
  await p.dispatchEvent('body', 'drop', { dataTransfer: dt });
  await p.waitForFunction(() => window.camanim.layers.length > 0 && window.camanim.state === 'ready');
  expect(await api(p, 'camanim.layers.length')).toBe(smallNet().length);
  await p.close();
});

test('a folder picked with the folder picker opens (manifest found below the picked folder)', async () => {
  const p = await page('');
  await settled(p);
  await p.setInputFiles('#open-folder', join(root, 'nested'));
  await p.waitForFunction(() => window.camanim.layers.length > 0 && window.camanim.state === 'ready');
  expect(await api(p, 'camanim.explanation.source')).toContain("the dropped folder 'nested'");
  await p.close();
});

/** The CLI's image fixtures (tools/image_fixtures.py). */
const cliImage = (name: string) => readFileSync(resolve(import.meta.dirname, '../../cli/test/fixtures/images', name));

describe('bad input ends in a clear message', () => {
  const cases: [string, string, RegExp][] = [
    ['missing.zip', 'missing-file', /gradcam\.input\.bin' is missing/],
    ['short.zip', 'short-file', /gradcam\.layer\.bin' is \d+ bytes, shorter than the manifest says/],
    ['version.zip', 'bad-version', /Unknown bundle manifest version 2/],
    ['bad-image.zip', 'bad-image', /Cannot decode the image 'input\.png'/],
    ['bad-offset.zip', 'short-file', /shorter than the manifest says.*layer 3/],
  ];
  test.each(cases)('%s', async (zip, code, message) => {
    const p = await page(`?bundle=b/${zip}`);
    expect(await settled(p)).toBe('error');
    const state = await api<{ code: string; error: string }>(p, '({ code: camanim.errorCode, error: camanim.error })');
    expect(state.code).toBe(code);
    expect(state.error).toMatch(message);
    expect(await p.getAttribute('html', 'data-state')).toBe('error');
    expect(await p.isVisible('#message')).toBe(true);
    expect(await p.textContent('[data-role=error-text]')).toMatch(message);
    await p.close();
  });

  const files: [string, string, Buffer, string, RegExp][] = [
    [
      'a file that is not ONNX',
      'notes.onnx',
      Buffer.from('just some text, not a protobuf'),
      'bad-model',
      /Not a valid ONNX file.*notes\.onnx/,
    ],
    [
      'an image that cannot be decoded',
      'broken.png',
      Buffer.from('\x89PNG but not really'),
      'bad-image',
      /Cannot decode the image 'broken\.png'/,
    ],
    [
      'a decompression bomb, refused from its header',
      'bomb.png',
      cliImage('bomb.png'),
      'bad-image',
      /The image 'bomb\.png' declares 20000×20000 = 400,000,000 pixels, more than the limit of 100,000,000/,
    ],
    ['a truncated JPEG', 'truncated.jpg', cliImage('truncated.jpg'), 'bad-image', /Cannot decode the image 'truncated\.jpg'/],
    ['an unsupported op in a model', 'det.onnx', Buffer.from(unsupportedOpBytes()), 'unsupported-op', /Unsupported op 'Det'/],
  ];
  test.each(files)('dropped: %s', async (_, name, bytes, code, message) => {
    const p = await page('');
    await settled(p);
    await p.setInputFiles('#open-files', { name, mimeType: 'application/octet-stream', buffer: bytes });
    await p.waitForFunction(() => window.camanim.state === 'error', null, { timeout: 60_000 });
    expect(await api(p, 'camanim.errorCode')).toBe(code);
    expect(await api(p, 'camanim.error')).toMatch(message);
    expect(await p.textContent('[data-role=error-text]')).toMatch(message);
    await p.close();
  });
});

test('without WebGPU: bundles open through WebGL, and the page says computing needs WebGPU', async () => {
  const p = await page('?bundle=b/small/', { noWebGPU: true });
  expect(await settled(p)).toBe('ready');
  expect(await api(p, 'camanim.backend')).toBe('webgl');
  expect(await api(p, 'camanim.planes')).toBe(smallNet().length);
  await api(p, 'camanim.goTo(4)');
  const shot = await shotStats(p, await p.locator('#view').screenshot());
  expect(shot.std).toBeGreaterThan(8);
  expect(await p.textContent('[data-role=gpu-note]')).toMatch(/needs WebGPU/);
  await api(p, "camanim.compute({ model: 'b/none.onnx', image: 'b/small/input.png' })");
  expect(await api(p, 'camanim.state')).toBe('error');
  expect(await api(p, 'camanim.errorCode')).toBe('no-webgpu');
  expect(await api(p, 'camanim.error')).toMatch(/needs WebGPU/);
  await p.close();
});

test('no console errors on any page', () => {
  expect(session.errors).toEqual([]);
});
