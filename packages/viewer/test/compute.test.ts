/**
 * In-page compute against the CLI: `camanim explain --format bundle` on a small seeded CNN
 * writes a bundle; the page computes the same model on the same image with @camanim/core and
 * @camanim/cam-methods on its own GPUDevice, and every layer's CAM (at layer and at input
 * resolution) must match the bundle's within 1e-4 of the layer's largest value — plain, and
 * with the softmax target and aug smoothing. Then the same chain through the page's controls:
 * model and image pickers, top-5 with labels, target kind, Explain, ybROAD scored in the page,
 * and eigen smoothing refused for Eigen-CAM with a message.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { inputImage } from './helpers/bundle.ts';
import { VIEWER, launch, open, serve, settled } from './helpers/harness.ts';
import { writeTinyCnn } from './helpers/models.ts';
import { encodePng } from './helpers/png.ts';
import { tinyModelBytes } from '../../cli/test/helpers/tiny-model.ts';

const CLI = resolve(VIEWER, '../cli/bin/camanim.js');
/** The CLI's exporter-convention fixtures (tools/contract_models.py): models, images and onnxruntime's outputs. */
const CONTRACT = resolve(VIEWER, '../cli/test/fixtures/contract');
const ASSETS = process.env.CAMANIM_ASSETS ?? resolve(VIEWER, '../cli/assets');
const BUNDLED = join(ASSETS, 'fashion-canvas.onnx');
/** The first sample by name (the page lists them in that order). */
const SAMPLE = existsSync(join(ASSETS, 'samples'))
  ? readdirSync(join(ASSETS, 'samples'))
      .filter((f) => /\.png$/i.test(f))
      .sort()[0]
  : undefined;
/**
 * With the bundled model present the comparison runs on it (two layers, at 50% and 100% of
 * depth, so that the backward pass stays short on a software GPU); else on a small seeded CNN.
 */
const USE_BUNDLED = existsSync(BUNDLED) && SAMPLE !== undefined;
let root: string;
let server: { url: string; close(): Promise<void> };
let ctx: BrowserContext;
const errors: string[] = [];

/**
 * The comparisons: CLI options, and the same choice as window.camanim.compute fields; `nhwc`:
 * on a channels-last model (the CLI tests' tiny one) instead, adapted to NCHW by both.
 */
const VARIANTS = [
  { name: 'Grad-CAM', out: 'plain', cli: [], page: '', nhwc: false },
  {
    name: 'Grad-CAM, softmax target, aug-smoothed',
    out: 'softmax-aug',
    cli: ['--target', 'softmax', '--aug-smooth'],
    page: "kind: 'softmax', augSmooth: true,",
    nhwc: false,
  },
  { name: 'Grad-CAM of a channels-last model', out: 'nhwc', cli: [], page: '', nhwc: true },
];

interface Maps {
  name: string;
  opType: string;
  shape: number[];
  raw: number[];
  up: number[];
}

const readMaps = (p: Page) =>
  p.evaluate(
    "camanim.layers.map((l, i) => ({ name: l.name, opType: l.opType, shape: l.shape, raw: camanim.map(i, 'layer'), up: camanim.map(i, 'input') }))",
  ) as Promise<Maps[]>;

function runCli(args: string[]): Promise<void> {
  return new Promise((ok, fail) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 280_000, maxBuffer: 1 << 24 }, (err, stdout, stderr) =>
      err ? fail(new Error(`camanim ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`)) : ok(),
    );
  });
}

async function page(query: string): Promise<Page> {
  const p = await open(ctx, `${server.url}${query}`);
  p.page.on('close', () => errors.push(...p.errors));
  return p.page;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'camanim-viewer-compute-'));
  writeTinyCnn(root);
  writeFileSync(join(root, 'nhwc.onnx'), tinyModelBytes(32, true));
  writeFileSync(
    join(root, 'nhwc.json'),
    JSON.stringify({ preprocess: { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], resize: 32 } }),
  );
  writeFileSync(join(root, 'sample.png'), encodePng(inputImage(32, 32), 32, 32));
  for (const f of ['paddle-symbolic.onnx', 'image-48x192.png']) copyFileSync(join(CONTRACT, f), join(root, f));
  server = await serve(root);
  const cli = USE_BUNDLED
    ? ['--model', BUNDLED, '--image', join(ASSETS, 'samples', SAMPLE!), '--percentiles', '50,100']
    : ['--model', join(root, 'tiny.onnx'), '--image', join(root, 'sample.png')];
  const nhwc = ['--model', join(root, 'nhwc.onnx'), '--image', join(root, 'sample.png')];
  [ctx] = await Promise.all([
    launch(),
    ...VARIANTS.map((v) =>
      runCli([
        'explain',
        ...(v.nhwc ? nhwc : cli),
        ...v.cli,
        '--out',
        join(root, v.out),
        '--method',
        'gradcam',
        '--format',
        'bundle',
        '--quiet',
      ]),
    ),
  ]);
});

afterAll(async () => {
  await ctx?.close();
  await server?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

test.each(VARIANTS)(
  `the page computes the CLI bundle's CAMs within 1e-4: $name (${USE_BUNDLED ? 'bundled fashion-canvas model' : 'small seeded CNN'} unless channels-last)`,
  async (v) => {
    const dir = `${v.out}/${readdirSync(join(root, v.out))[0]}/bundle`;
    const manifest = JSON.parse(readFileSync(join(root, dir, 'manifest.json'), 'utf8'));
    const p = await page(`?bundle=b/${dir}/`);
    expect(await settled(p)).toBe('ready');
    const bundle = await readMaps(p);
    expect(bundle.map((l) => l.name)).toEqual(manifest.layers.map((l: { name: string }) => l.name));
    const bundled = USE_BUNDLED && !v.nhwc;
    const request = bundled
      ? `{ model: 'default', image: 'default/samples/${SAMPLE}', method: 'gradcam', ${v.page} percentiles: [50, 100] }`
      : `{ model: 'b/${v.nhwc ? 'nhwc' : 'tiny'}.onnx', image: 'b/sample.png', method: 'gradcam', ${v.page} }`;
    if (bundled) await p.waitForFunction(() => !(document.querySelector('[data-role=default-model]') as HTMLElement).hidden);
    await p.evaluate(`camanim.compute(${request})`);
    expect(await p.evaluate('[camanim.state, camanim.error]')).toEqual(['ready', null]);
    const info = (await p.evaluate('camanim.explanation')) as {
      source: string;
      method: string;
      score: number;
      target: { class: number; kind: string };
    };
    expect(info.source).toBe('computed in the page');
    expect(info.method).toBe(manifest.cams[0].title);
    expect(info.target).toEqual({ class: manifest.target.class, label: manifest.target.label, kind: manifest.target.kind });
    expect(Math.abs(info.score - manifest.score)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(manifest.score)));
    const page_ = await readMaps(p);
    expect(page_.map((l) => [l.name, l.opType, l.shape])).toEqual(bundle.map((l) => [l.name, l.opType, l.shape]));
    for (const [k, b] of bundle.entries()) {
      const c = page_[k];
      for (const which of ['raw', 'up'] as const) {
        const scale = Math.max(...b[which].map(Math.abs));
        expect(scale, `${b.name} ${which}`).toBeGreaterThan(0);
        const worst = Math.max(...b[which].map((v, i) => Math.abs(v - c[which][i])));
        expect(worst, `${b.name} ${which}: max |page − bundle| vs max |bundle| ${scale}`).toBeLessThanOrEqual(1e-4 * scale);
      }
    }
    await p.close();
  },
);

test('the compute panel: pick a model and an image, top-5 with labels, target kind, explain, ybROAD; eigen smoothing refused for Eigen-CAM', async () => {
  const p = await page('');
  await settled(p);
  await p.setInputFiles('[data-role=model-file]', [join(root, 'tiny.onnx'), join(root, 'tiny.json')]);
  await p.waitForFunction(() => document.querySelector('[data-role=model-name]')?.textContent === 'tiny.onnx', null, {
    timeout: 60_000,
  });
  await p.setInputFiles('[data-role=image-file]', join(root, 'sample.png'));
  await p.waitForFunction(() => document.querySelectorAll('[data-role=top] li').length === 5, null, { timeout: 120_000 });
  const labels = await p.locator('[data-role=top] .label').allTextContents();
  expect(labels.every((l) => /^(circle|square|stripe|cross|blank) \(\d\)$/.test(l))).toBe(true);
  // Explain the second-ranked class's ReST with HiResCAM.
  const second = await p.locator('[data-role=top] input[name=target]').nth(1).getAttribute('value');
  await p.locator('[data-role=top] input[name=target]').nth(1).check();
  await p.selectOption('[data-role=method]', 'hirescam');
  await p.selectOption('[data-role=kind]', 'rest');
  await p.click('[data-role=explain]');
  await p.waitForFunction(() => window.camanim.state === 'ready' && window.camanim.layers.length === 6, null, {
    timeout: 120_000,
  });
  const info = (await p.evaluate('camanim.explanation')) as { method: string; target: { class: number; kind: string } };
  expect(info.target.class).toBe(Number(second));
  expect(info.target.kind).toBe('rest');
  expect(info.method).toBe('HiResCAM');
  expect(await p.textContent('.frame-detail')).toContain(`(class ${second}) · ReST target · score`);
  expect(await p.locator('[data-role=no-ybroad]').count()).toBe(1);
  await p.click('[data-role=ybroad]');
  await p.waitForFunction(() => window.camanim.ybroad !== null, null, { timeout: 150_000 });
  expect(await p.locator('#chart circle.point').count()).toBe(6);
  const yb = (await p.evaluate('camanim.ybroad')) as { values: number[]; max: { layer: number } };
  expect(yb.max.layer).toBe(yb.values.indexOf(Math.max(...yb.values)));
  // Eigen-CAM computes its maps itself: the box is disabled with a note, and a request for it anyway ends in a message.
  await p.check('[data-role=eigen-smooth]');
  await p.selectOption('[data-role=method]', 'eigencam');
  expect(await p.isDisabled('[data-role=eigen-smooth]')).toBe(true);
  expect(await p.isChecked('[data-role=eigen-smooth]')).toBe(false);
  expect(await p.textContent('[data-role=eigen-note]')).toMatch(/^Eigen-CAM computes each layer's map itself/);
  await p.evaluate("camanim.compute({ method: 'eigencam', eigenSmooth: true })");
  expect(await p.evaluate('[camanim.state, camanim.errorCode]')).toEqual(['error', 'bad-request']);
  expect(await p.textContent('[data-role=error-text]')).toMatch(/Eigen smoothing does not apply to CAM method 'eigencam'/);
  expect(await p.isVisible('#message')).toBe(true);
  await p.close();
});

test.runIf(USE_BUNDLED)(
  'first use: the empty page shows no empty panels, and one click explains the bundled model on a sample',
  async () => {
    const p = await page('');
    await settled(p);
    expect(await p.isVisible('#welcome')).toBe(true);
    expect(await p.isHidden('#frame')).toBe(true);
    expect(await p.isHidden('#chart')).toBe(true);
    await p.waitForFunction(() => !(document.getElementById('try-bundled') as HTMLElement).hidden);
    await p.click('#try-bundled');
    await p.waitForFunction(() => window.camanim.state === 'ready' && window.camanim.layers.length > 0, null, {
      timeout: 120_000,
    });
    expect(await p.isVisible('#frame')).toBe(true);
    expect(await p.isVisible('#chart')).toBe(true);
    expect(await p.isHidden('#welcome')).toBe(true);
    expect(await p.evaluate('camanim.explanation.source')).toBe('computed in the page');
    await p.close();
  },
);

test('the page reads the model contract as the CLI does: symbolic dims, a final Softmax, a non-square input; none is guessed', async () => {
  const expected = JSON.parse(readFileSync(join(CONTRACT, 'expected.json'), 'utf8')).models['paddle-symbolic'];
  const bytes = readFileSync(join(CONTRACT, 'expected.bin'));
  const bin = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const o = expected.ortOutputs['save_infer_model/scale_0.tmp_1'];
  const probs = bin.subarray(o.offset, o.offset + o.length);
  const p = await page('');
  await settled(p);
  // No JSON, no metadata, no preset: refused, and the message says what to give.
  await p.evaluate(
    "camanim.compute({ model: 'b/paddle-symbolic.onnx', meta: '{}', image: 'b/image-48x192.png', method: 'gradcam' })",
  );
  expect(await p.evaluate('camanim.state')).toBe('error');
  expect(await p.textContent('[data-role=error-text]')).toMatch(/Nothing says how 'x' is normalized/);
  expect(await p.textContent('#message')).toMatch(/the viewer: its preprocess menu/);
  // With its JSON: the image's own size (48×192), the scores before the Softmax explained, the model's probabilities.
  const meta = JSON.stringify({ preprocess: { mean: [0.5], std: [0.5] } });
  await p.evaluate(
    `camanim.compute({ model: 'b/paddle-symbolic.onnx', meta: ${JSON.stringify(meta)}, image: 'b/image-48x192.png', method: 'gradcam', percentiles: [100] })`,
  );
  expect(await p.evaluate('[camanim.state, camanim.error]')).toEqual(['ready', null]);
  const info = (await p.evaluate('camanim.explanation')) as { contract: string; probability: number; target: { class: number } };
  expect(info.contract).toMatch(
    /^input 48×192 NCHW RGB, x\/255, mean 0\.5,0\.5,0\.5 std 0\.5,0\.5,0\.5, centre crop; output 'save_infer_model\/scale_0\.tmp_1' \[1, 10\], 10 classes, softmax \(explaining '\/fc\/Gemm_output_0'/,
  );
  expect(await p.textContent('[data-role=contract]')).toBe(info.contract);
  // The page's pixels are the image's own (no resampling): onnxruntime's probability to float32 rounding.
  expect(Math.abs(info.probability - probs[info.target.class])).toBeLessThan(1.2e-7);
  await p.close();
});

test('no console errors', () => {
  expect(errors).toEqual([]);
});
