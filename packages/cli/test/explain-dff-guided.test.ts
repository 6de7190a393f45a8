/**
 * End to end: `camanim explain --method dff,guided-gradcam` on the bundled model (or the fallback
 * of helpers/subject.ts) writes DFF's concepts per layer with their top classes and frames coloured
 * by concept, and Guided Backpropagation / Guided Grad-CAM images at the model input's size, each
 * deprocessed as pytorch-grad-cam's deprocess_image (mean 0.5, sd 0.1 of the range before clipping).
 * `camanim methods` lists the new methods.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { sanitizeName } from '../src/staging.ts';
import { conceptColor } from '../src/concepts.ts';
import { camanim, scratch, type CliResult } from './helpers/cli.ts';
import { subject } from './helpers/subject.ts';

let result: CliResult;
let dir: string;

beforeAll(async () => {
  const tmp = scratch();
  const subj = await subject(tmp);
  const out = join(tmp, 'out');
  result = await camanim([
    'explain',
    ...subj.args,
    '--method',
    'dff,guided-gradcam',
    '--every',
    '4',
    '--size',
    '96',
    '--format',
    'png',
    '--out',
    out,
  ]);
  dir = join(out, sanitizeName(basename(subj.image, extname(subj.image)), 60));
}, 300_000);

async function pixels(file: string) {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

describe('explain --method dff', () => {
  it("writes every layer's concepts with their top classes, and one frame per layer", () => {
    expect(result.code, result.err).toBe(0);
    const json = JSON.parse(readFileSync(join(dir, 'dff-concepts.json'), 'utf8'));
    expect(json.method).toBe('dff');
    expect(json.components).toBe(5);
    expect(json.layers.length).toBeGreaterThan(1);
    expect(readdirSync(join(dir, 'dff-frames')).length).toBe(json.layers.length);
    for (const layer of json.layers) {
      expect(layer.concepts.length).toBe(5);
      for (const c of layer.concepts) {
        expect(c.color).toMatch(/^#[0-9a-f]{6}$/);
        expect(c.classes.length).toBe(2);
        expect(c.classes[0].probability).toBeGreaterThanOrEqual(c.classes[1].probability);
        for (const t of c.classes) {
          expect(typeof t.label).toBe('string');
          expect(t.probability).toBeGreaterThanOrEqual(0);
          expect(t.probability).toBeLessThanOrEqual(1);
        }
      }
    }
  });

  it("colours concepts with gist_rainbow at k/K (matplotlib's segment data)", () => {
    expect(conceptColor(0, 5)).toEqual([1, 0, 0.16]);
    // 0.4 is a knot: pure green; 0.2 lies between 0.03 (red) and 0.215 (yellow).
    expect(conceptColor(2, 5).map((v) => +v.toFixed(6))).toEqual([0, 1, 0]);
    expect(conceptColor(1, 5)[1]).toBeCloseTo(0.17 / 0.185, 12);
  });
});

describe('explain --method guided-gradcam', () => {
  it('writes the guided backprop image, deprocessed as pytorch-grad-cam does', async () => {
    expect(result.code, result.err).toBe(0);
    const gb = await pixels(join(dir, 'guided-gradcam-guided-backprop.png'));
    let sum = 0;
    let sq = 0;
    for (const v of gb.data) sum += v;
    const mean = sum / gb.data.length;
    for (const v of gb.data) sq += (v - mean) ** 2;
    // 0.5·255 and 0.1·255, less the truncation to uint8 (−0.5 on average) and a little clipping.
    expect(mean).toBeGreaterThan(124);
    expect(mean).toBeLessThan(130);
    expect(Math.sqrt(sq / gb.data.length)).toBeGreaterThan(20);
    expect(Math.sqrt(sq / gb.data.length)).toBeLessThan(26.5);
  });

  it('writes one Guided Grad-CAM image per layer, at the input size, each unlike the plain guided image', async () => {
    const gb = await pixels(join(dir, 'guided-gradcam-guided-backprop.png'));
    const files = readdirSync(join(dir, 'guided-gradcam-frames-guided')).sort();
    expect(files.length).toBe(readdirSync(join(dir, 'guided-gradcam-frames')).length);
    for (const f of files) {
      const img = await pixels(join(dir, 'guided-gradcam-frames-guided', f));
      expect([img.width, img.height]).toEqual([gb.width, gb.height]);
      expect(img.data.equals(gb.data), f).toBe(false);
    }
    expect(existsSync(join(dir, 'guided-gradcam-concepts.json'))).toBe(false);
  });
});

describe('camanim methods', () => {
  it('lists FEM, FinerCAM, the LayerCAM fusion, DFF and Guided Grad-CAM', async () => {
    const r = await camanim(['methods']);
    expect(r.code).toBe(0);
    for (const id of ['fem', 'finercam', 'layercam-fusion', 'dff', 'guided-gradcam'])
      expect(r.out).toMatch(new RegExp(`^${id}\\s`, 'm'));
  });

  it('refuses FinerCAM with a non-logit target, naming the flag', async () => {
    const r = await camanim([
      'explain',
      '--method',
      'finercam',
      '--target',
      'softmax',
      '--format',
      'png',
      '--out',
      join(scratch(), 'x'),
    ]);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/FinerCAM builds its own target/);
    expect(r.err).toMatch(/--target logit/);
  });
});
