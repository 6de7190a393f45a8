/**
 * End to end: `camanim explain` on the bundled model (or a fallback, see helpers/subject.ts)
 * writes one frame per selected layer, frames that differ and carry their labels, a GIF that
 * decodes, a grid, a video when ffmpeg exists, and a bundle consistent with the model.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listCamMethods, range, selectLayers } from '@camanim/cam-methods';
import { acquireDevice, loadModel, type Device, type Model } from '@camanim/core';
import { sanitizeName } from '../src/staging.ts';
import { readBundle } from '../src/bundle.ts';
import { frameLayout } from '../src/frames.ts';
import { camanim, scratch, type CliResult } from './helpers/cli.ts';
import { subject, type Subject } from './helpers/subject.ts';

const SIZE = 128;
const hasFfmpeg = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0;
// CI installs ffmpeg (tools/setup.sh): there, a missing ffmpeg fails the video test instead of skipping it.
const checkVideo = hasFfmpeg || process.env.CI === 'true';

let subj: Subject;
let tmp: string;
let out: string;
let result: CliResult;
let device: Device;
let model: Model;
let dir: string;
let layerCount: number;

beforeAll(async () => {
  tmp = scratch();
  subj = await subject(tmp);
  out = join(tmp, 'out');
  const formats = ['gif', 'png', 'grid', 'bundle', ...(hasFfmpeg ? ['mp4', 'webm'] : [])].join(',');
  result = await camanim([
    'explain',
    ...subj.args,
    '--method',
    'gradcam,hirescam',
    '--normalization',
    'both',
    '--size',
    String(SIZE),
    '--format',
    formats,
    '--out',
    out,
  ]);
  device = await acquireDevice();
  model = await loadModel(subj.model, { device });
  layerCount = selectLayers(model).length;
  dir = join(out, sanitizeName(basename(subj.image, extname(subj.image)), 60));
}, 300_000);

afterAll(() => {
  model?.dispose();
  device?.destroy();
});

async function rawPixels(file: string): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

describe(`camanim explain`, () => {
  it('succeeds and lists what it wrote', () => {
    expect(result.err).not.toMatch(/camanim: /);
    expect(result.code).toBe(0);
    const listed = result.out.trim().split('\n');
    expect(listed.length).toBeGreaterThan(layerCount);
    for (const f of listed) expect(existsSync(f), f).toBe(true);
    expect(readdirSync(tmp).filter((e) => e.includes('.camanim-'))).toEqual([]);
  });

  it('writes one PNG frame per selected layer, zero-padded, and the frames differ', async () => {
    const frames = readdirSync(join(dir, 'gradcam-frames')).sort();
    expect(frames.length).toBe(layerCount);
    expect(frames[0]).toMatch(/^001-[A-Za-z0-9._+-]+\.png$/);
    const pixels = await Promise.all(frames.map((f) => rawPixels(join(dir, 'gradcam-frames', f))));
    for (let k = 1; k < pixels.length; k++)
      expect(pixels[k].data.equals(pixels[k - 1].data), `frames ${k} and ${k + 1}`).toBe(false);
  });

  it('labels each frame: the label strip carries text and changes from layer to layer', async () => {
    const frames = readdirSync(join(dir, 'gradcam-frames')).sort();
    const first = await rawPixels(join(dir, 'gradcam-frames', frames[0]));
    const { manifest } = await readBundle(join(dir, 'bundle'));
    // A class needs no caption of its own in the bundle: the viewer words it from the label.
    expect(manifest.cams[0].target.caption).toBeUndefined();
    const [, , H, W] = manifest.inputShape;
    const panelH = Math.round((SIZE * H) / W / 2) * 2;
    const layout = frameLayout(SIZE, panelH, 2);
    expect([first.width, first.height]).toEqual([layout.width, layout.height]);
    const stripTop = layout.pad + layout.captionH + panelH + 8;
    const strip = (img: { data: Buffer; width: number }) => img.data.subarray(stripTop * img.width * 4);
    const bright = (px: Buffer) => {
      let n = 0;
      for (let i = 0; i < px.length; i += 4) if (px[i] + px[i + 1] + px[i + 2] > 300) n++;
      return n;
    };
    // Text is there (a uniform strip would have no bright pixels) ...
    expect(bright(strip(first))).toBeGreaterThan(300);
    // ... and it names the layer: the last frame's strip differs from the first's.
    const last = await rawPixels(join(dir, 'gradcam-frames', frames[frames.length - 1]));
    expect(strip(first).equals(strip(last))).toBe(false);
  });

  it('writes GIFs that decode to one frame per layer', async () => {
    for (const name of ['gradcam.gif', 'hirescam.gif', 'grid.gif']) {
      const file = join(dir, name);
      const meta = await sharp(file).metadata();
      expect(meta.format).toBe('gif');
      expect(meta.pages, name).toBe(layerCount);
      const { data, info } = await sharp(file, { pages: -1 }).raw().toBuffer({ resolveWithObject: true });
      const frameBytes = info.width * (info.height / layerCount) * info.channels;
      expect(data.length).toBe(frameBytes * layerCount);
      expect(data.subarray(0, frameBytes).equals(data.subarray(frameBytes, 2 * frameBytes))).toBe(false);
    }
    const png = await sharp(join(dir, 'grid.png')).metadata();
    expect(png.format).toBe('png');
    expect(png.width).toBeGreaterThan(200);
  });

  it.runIf(checkVideo)('writes MP4 and WebM through ffmpeg', () => {
    expect(hasFfmpeg, "ffmpeg is not installed: run tools/setup.sh (it installs Debian's ffmpeg)").toBe(true);
    const mp4 = readFileSync(join(dir, 'gradcam.mp4'));
    expect(mp4.subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect(mp4.length).toBeGreaterThan(1000);
    const webm = readFileSync(join(dir, 'gradcam.webm'));
    expect([...webm.subarray(0, 4)]).toEqual([0x1a, 0x45, 0xdf, 0xa3]); // EBML header
  });

  it('writes a bundle consistent with its binaries and with model.layers', async () => {
    const bundleDir = join(dir, 'bundle');
    const { manifest, maps } = await readBundle(bundleDir);
    expect(manifest.version).toBe(1);
    expect(manifest.methods).toEqual(['gradcam', 'hirescam']);
    expect(manifest.method).toBe('gradcam');
    expect(manifest.layers).toEqual(manifest.cams[0].layers);
    expect(manifest.model.path).toBe(resolve(subj.model));
    const [, C, H, W] = manifest.inputShape;
    expect(manifest.inputShape).toEqual([1, C, H, W]);
    expect(manifest.contract.input.size).toEqual([H, W]);
    expect(manifest.contract.summary).toContain(`${H}×${W}`);
    const input = await sharp(join(bundleDir, manifest.image.file)).metadata();
    expect([input.width, input.height]).toEqual([W, H]);
    expect(manifest.prediction[0].class).toBe(manifest.target.class);
    const byName = new Map(model.layers.map((l) => [l.name, l]));
    for (const cam of manifest.cams) {
      expect(cam.layers.length).toBe(layerCount);
      for (const which of ['layer', 'input'] as const) {
        const size = statSync(join(bundleDir, cam.files[which])).size;
        let offset = 0;
        for (const l of cam.layers) {
          expect(l[which].byteOffset).toBe(offset);
          offset += l[which].byteLength;
        }
        expect(offset).toBe(size);
      }
      for (const [k, l] of cam.layers.entries()) {
        const m = byName.get(l.name)!;
        expect(m, l.name).toBeDefined();
        expect([l.index, l.modelIndex, l.opType, l.shape]).toEqual([k, m.index, m.opType, m.shape]);
        const [h, w] = m.shape.length === 4 ? [m.shape[2], m.shape[3]] : [1, m.shape[1]];
        expect(l.mapShape).toEqual([h, w]);
        expect(l.layer.byteLength).toBe(h * w * 4);
        expect(l.input.byteLength).toBe(H * W * 4);
        const raw = await maps(cam, l, 'layer');
        expect(raw.every(Number.isFinite)).toBe(true);
        expect(range(raw)).toEqual({ min: l.min, max: l.max });
      }
    }
    // Different methods give different maps somewhere.
    const [a, b] = manifest.cams;
    let differ = false;
    for (const [k, l] of a.layers.entries()) {
      const x = await maps(a, l, 'layer');
      const y = await maps(b, b.layers[k], 'layer');
      if (x.some((v, i) => v !== y[i])) differ = true;
    }
    expect(differ).toBe(true);
  });

  it('`camanim layers` prints every layer of the model in a table', async () => {
    const r = await camanim(['layers', subj.model]);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(/^index\s+name\s+op\s+shape\s+cam$/);
    expect(lines.length).toBe(model.layers.length + 5);
    expect(lines.at(-2)).toMatch(/^input: \d+×\d+ NCHW RGB, x\/255, mean .* std .*\(size: model graph\)$/);
    expect(lines.at(-1)).toMatch(/^output: '.+' \[1, \d+\], \d+ classes, scores$/);
    for (const l of model.layers) {
      const row = lines.find((line) => line.trim().startsWith(`${l.index}  `) && line.includes(` ${l.name} `));
      expect(row, l.name).toBeDefined();
      expect(row).toContain(` ${l.opType} `);
      expect(row).toContain(`[${l.shape.join(', ')}]`);
    }
    expect(lines.filter((line) => / spatial$/.test(line)).length).toBe(layerCount);
  });

  it('`camanim methods` lists every registered method with its reference, through the bin shim', () => {
    const bin = resolve(import.meta.dirname, '../bin/camanim.js');
    const r = spawnSync(process.execPath, [bin, 'methods'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    for (const m of listCamMethods()) {
      const row = r.stdout.split('\n').find((line) => line.startsWith(`${m.id} `));
      expect(row, m.id).toBeDefined();
      expect(row).toContain(m.reference);
    }
  });
});
