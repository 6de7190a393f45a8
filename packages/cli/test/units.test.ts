/** The CLI's plumbing without a GPU: names, paths, arguments, preprocessing, labels, packing. */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { parseExplain, parseRoadCommand } from '../src/args.ts';
import { Staging, sanitizeName } from '../src/staging.ts';
import { packMaps } from '../src/bundle.ts';
import { composeFrame, composeFrames, fit, frameLayout } from '../src/frames.ts';
import { COLORBAR_WIDTH } from '../src/colorbar.ts';
import { IMAGENET_LABELS } from '../src/imagenet-labels.ts';
import { readImage } from '../src/image.ts';
import { loadLabels } from '../src/labels.ts';
import { placement, type InputContract } from '@camanim/core';
import { readSidecar } from '../src/contract.ts';
import { preprocess } from '../src/preprocess.ts';
import { targetText } from '../src/render.ts';
import { scratch } from './helpers/cli.ts';

const defaults = {
  method: 'gradcam',
  layers: 'spatial',
  normalization: 'global',
  colormap: 'jet',
  alpha: '0.5',
  fps: '4',
  size: '448',
  out: 'camanim-out',
  format: 'gif,bundle',
  maxPixels: '100000000',
};

describe('file names', () => {
  it('sanitizes model and layer names: no separators, no ..', () => {
    for (const bad of ['../../etc/passwd', '/abs/path', 'a\\b', '..', '.hidden', 'x/../../y', 'a\u0000b']) {
      const s = sanitizeName(bad);
      expect(s).not.toMatch(/[/\\\u0000]/);
      expect(s).not.toContain('..');
      expect(s.startsWith('.')).toBe(false);
      expect(s.length).toBeGreaterThan(0);
    }
    expect(sanitizeName('/layer1/layer1.0/relu/Relu_output_0')).toBe('layer1_layer1.0_relu_Relu_output_0');
    expect(sanitizeName('gradcam++')).toBe('gradcam++');
    expect(sanitizeName('x'.repeat(200)).length).toBe(80);
  });

  it('stages outputs beside --out and moves them in only on commit', async () => {
    const parent = scratch();
    const out = join(parent, 'out');
    const s = await Staging.open(out);
    expect(() => s.path('..', 'escape')).toThrow(/outside the output folder/);
    await s.write(['img', 'a.gif'], 'A');
    expect(existsSync(out)).toBe(false);
    await s.commit();
    expect(readdirSync(join(out, 'img'))).toEqual(['a.gif']);
    // A second run replaces same-named entries and keeps the others.
    mkdirSync(join(out, 'other'));
    const s2 = await Staging.open(out);
    await s2.write(['img', 'b.gif'], 'B');
    await s2.commit();
    expect(readdirSync(join(out, 'img'))).toEqual(['b.gif']);
    expect(readdirSync(out).sort()).toEqual(['img', 'other']);
    const s3 = await Staging.open(out);
    await s3.write(['img', 'c.gif'], 'C');
    await s3.abort();
    expect(readdirSync(parent)).toEqual(['out']);
  });
});

describe('arguments', () => {
  it('parses lists, layer selections and targets', () => {
    const o = parseExplain({
      ...defaults,
      method: 'GradCAM, hirescam,gradcam',
      layers: 'Conv',
      every: '2',
      percentiles: '0,50,100',
      topK: '3',
      format: 'gif,mp4,bundle',
    });
    expect(o.methods).toEqual(['gradcam', 'hirescam']);
    expect(o.layers).toEqual({ kinds: 'spatial', filter: 'Conv', every: 2, percentiles: [0, 50, 100] });
    expect(o.target).toEqual({ kind: 'top-k', k: 3 });
    expect([...o.formats]).toEqual(['gif', 'mp4', 'bundle']);
    expect(parseExplain({ ...defaults, layers: 'all' }).layers.kinds).toBe('all');
    expect(parseExplain({ ...defaults, class: '7' }).target).toEqual({ kind: 'class', class: 7 });
    expect(parseExplain(defaults).target).toEqual({ kind: 'predicted' });
  });

  it('parses --target (the score explained), logit by default', () => {
    expect(parseExplain(defaults).targetKind).toBe('logit');
    expect(parseExplain({ ...defaults, target: 'softmax' }).targetKind).toBe('softmax');
    expect(parseExplain({ ...defaults, target: ' ReST ' }).targetKind).toBe('rest');
    expect(parseRoadCommand({ ...defaults, target: 'rest' }).targetKind).toBe('rest');
    expect(parseRoadCommand(defaults).targetKind).toBe('logit');
    for (const parse of [parseExplain, parseRoadCommand]) {
      expect(() => parse({ ...defaults, target: 'probability' })).toThrow(
        /Unknown --target 'probability'\. Known targets: logit, softmax, rest/,
      );
    }
  });

  it('names a target other than the logit in frame labels', () => {
    const t = { class: 7, label: 'Sneaker', logit: 8.2, probability: 0.97, rank: 1 };
    expect(targetText({ ...t, kind: 'logit' })).toBe('Sneaker (class 7) · logit 8.200 · p 0.970');
    expect(targetText({ ...t, kind: 'rest' })).toBe('Sneaker (class 7) · ReST target · logit 8.200 · p 0.970');
    expect(targetText({ ...t, kind: 'softmax' })).toContain(' · softmax target · ');
  });

  it('refuses bad values with a message naming the option', () => {
    expect(() => parseExplain({ ...defaults, fps: '0' })).toThrow(/--fps/);
    expect(() => parseExplain({ ...defaults, class: '-1' })).toThrow(/--class expects an integer/);
    expect(() => parseExplain({ ...defaults, percentiles: '0,150' })).toThrow(/--percentiles/);
    expect(() => parseExplain({ ...defaults, size: 'big' })).toThrow(/--size expects a number/);
    expect(() => parseExplain({ ...defaults, maxPixels: '0' })).toThrow(/--max-pixels expects an integer ≥ 1/);
  });
});

/** A contract as resolve would give it (the fields preprocessing reads). */
function contract(over: Partial<InputContract>): InputContract {
  return {
    size: [4, 4],
    layout: 'NCHW',
    channels: 3,
    order: 'RGB',
    scale: 1,
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
    resize: 'crop',
    cropFraction: 1,
    align: 'center',
    sources: { size: 't', layout: 't', order: 't', scale: 't', mean: 't', std: 't', resize: 't' },
    ...over,
  };
}

describe('preprocessing', () => {
  it('resizes the shorter side and centre-crops (torchvision Resize + CenterCrop)', () => {
    expect(placement({ width: 640, height: 480 }, contract({ size: [224, 224], cropFraction: 224 / 256 }))).toEqual({
      width: 341,
      height: 256,
      x: -59,
      y: -16,
    });
    expect(placement({ width: 96, height: 96 }, contract({ size: [96, 96] }))).toEqual({ width: 96, height: 96, x: 0, y: 0 });
    // A non-square input: the image covers 48×192 and is cropped to it.
    expect(placement({ width: 100, height: 50 }, contract({ size: [48, 192] }))).toEqual({
      width: 192,
      height: 96,
      x: 0,
      y: -24,
    });
  });

  it('pads (letterbox, centred or at the start) and stretches', () => {
    expect(placement({ width: 100, height: 50 }, contract({ size: [48, 192], resize: 'pad' }))).toEqual({
      width: 96,
      height: 48,
      x: 48,
      y: 0,
    });
    expect(placement({ width: 100, height: 50 }, contract({ size: [48, 192], resize: 'pad', align: 'start' }))).toEqual({
      width: 96,
      height: 48,
      x: 0,
      y: 0,
    });
    expect(placement({ width: 100, height: 50 }, contract({ size: [48, 192], resize: 'stretch' }))).toEqual({
      width: 192,
      height: 48,
      x: 0,
      y: 0,
    });
  });

  it('normalizes with mean/std, scale and channel order, grayscale by luma', async () => {
    const dir = scratch();
    const file = join(dir, 'flat.png');
    await sharp({ create: { width: 8, height: 6, channels: 3, background: { r: 255, g: 0, b: 51 } } })
      .png()
      .toFile(file);
    const img = await readImage(file);
    expect([img.width, img.height]).toEqual([8, 6]);
    const x = await preprocess(img, contract({}));
    expect(x.shape).toEqual([1, 3, 4, 4]);
    expect(x.data[0]).toBeCloseTo((1 - 0.485) / 0.229, 4);
    expect(x.data[16]).toBeCloseTo((0 - 0.456) / 0.224, 4);
    expect(x.data[32]).toBeCloseTo((0.2 - 0.406) / 0.225, 4);
    // Caffe: BGR, 0..255, minus the mean given in R, G, B order.
    const caffe = await preprocess(img, contract({ order: 'BGR', scale: 255, mean: [123.68, 116.779, 103.939], std: [1, 1, 1] }));
    expect([caffe.data[0], caffe.data[16], caffe.data[32]].map((v) => +v.toFixed(3))).toEqual(
      [51 - 103.939, 0 - 116.779, 255 - 123.68].map((v) => +v.toFixed(3)),
    );
    const gray = await preprocess(img, contract({ channels: 1, mean: [0], std: [1] }));
    expect(gray.shape).toEqual([1, 1, 4, 4]);
    expect(gray.data[0]).toBeCloseTo(0.299 + 0.114 * 0.2, 4);
    // Padding is 0 after normalization; the crop shows it in the mean colour.
    const padded = await preprocess(img, contract({ size: [4, 8], resize: 'pad', mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }));
    expect(padded.placement).toEqual({ width: 5, height: 4, x: 2, y: 0 });
    expect([padded.data[0], padded.data[1], padded.data[2]]).toEqual([0, 0, 1]);
    expect([...padded.crop.subarray(0, 3)]).toEqual([128, 128, 128]);
  });
});

describe('labels', () => {
  it('uses a --labels file, the model JSON, ImageNet for 1000 classes, else "class N"', () => {
    const dir = scratch();
    const file = join(dir, 'labels.txt');
    writeFileSync(file, 'cat\ndog\n');
    expect(loadLabels(2, file).name(1)).toBe('dog');
    expect(() => loadLabels(3, file)).toThrow(/2 lines but the model has 3 classes/);
    expect(loadLabels(2, undefined, ['a', 'b']).name(0)).toBe('a');
    const imagenet = loadLabels(1000);
    expect(imagenet.name(0)).toBe('tench');
    expect(imagenet.name(281)).toBe('tabby');
    expect(imagenet.name(207)).toBe('golden retriever');
    expect(imagenet.name(999)).toBe('toilet tissue');
    expect(loadLabels(10).name(3)).toBe('class 3');
    expect(IMAGENET_LABELS.length).toBe(1000);
  });
});

describe('model JSON', () => {
  it("reads the bundled model's labels and preprocessing, ignoring other fields", () => {
    const dir = scratch();
    const model = join(dir, 'fashion-canvas.onnx');
    writeFileSync(model, '');
    writeFileSync(
      join(dir, 'fashion-canvas.json'),
      JSON.stringify({
        labels: ['T-shirt/top', 'Trouser'],
        input: { name: 'input', shape: [1, 3, 96, 96] },
        preprocess: {
          mean: [0.3, 0.31, 0.32],
          std: [0.2, 0.21, 0.22],
          resize: 96,
          layout: 'NCHW',
          channels: 'RGB',
          scale: 'pixel / 255, then (x - mean) / std',
        },
        testAccuracy: 0.9,
      }),
    );
    const meta = readSidecar(model)!;
    expect(meta.labels).toEqual(['T-shirt/top', 'Trouser']);
    expect(meta.input).toEqual({
      mean: [0.3, 0.31, 0.32],
      std: [0.2, 0.21, 0.22],
      shorterSide: 96,
      layout: 'NCHW',
      order: 'RGB',
      scale: 1,
    });
    // Fixture JSONs without these fields give nothing; a broken one is an error naming the file.
    writeFileSync(join(dir, 'fashion-canvas.json'), JSON.stringify({ name: 'resnet18', numClasses: 100 }));
    expect(readSidecar(model)).toEqual({
      file: join(dir, 'fashion-canvas.json'),
      labels: undefined,
      output: undefined,
      input: {},
    });
    writeFileSync(join(dir, 'fashion-canvas.json'), '{ nope');
    expect(() => readSidecar(model)).toThrow(/model's JSON is not valid.*fashion-canvas\.json/);
    writeFileSync(join(dir, 'fashion-canvas.json'), JSON.stringify({ preprocess: { std: [0.2, 'x', 0.2] } }));
    expect(() => readSidecar(model)).toThrow(/malformed 'preprocess.std'.*fashion-canvas\.json/);
    writeFileSync(join(dir, 'fashion-canvas.json'), JSON.stringify({ preprocess: { resize: 'zoom' } }));
    expect(() => readSidecar(model)).toThrow(/malformed 'preprocess.resize': expected crop or pad or stretch/);
    expect(readSidecar(join(dir, 'other.onnx'))).toBeUndefined();
  });
});

describe('bundle binaries and text', () => {
  it('packs maps as little-endian float32 end to end', () => {
    const { bytes, ranges } = packMaps([Float32Array.from([1, -2]), Float32Array.from([0.5])]);
    expect(ranges).toEqual([
      { byteOffset: 0, byteLength: 8 },
      { byteOffset: 8, byteLength: 4 },
    ]);
    const view = new DataView(bytes.buffer);
    expect([view.getFloat32(0, true), view.getFloat32(4, true), view.getFloat32(8, true)]).toEqual([1, -2, 0.5]);
  });

  it('shortens long names in the middle to fit a label', () => {
    const name = '/stages/stages.3/stages.3.1/conv2/Conv_output_0';
    const short = fit(name, 200, 14);
    expect(short.length).toBeLessThan(name.length);
    expect(short.startsWith('/stages')).toBe(true);
    expect(short.endsWith('output_0')).toBe(true);
    expect(fit('short', 200, 14)).toBe('short');
  });

  it('composes frames several at a time, each the frame composed alone, in its place and handed over in order', async () => {
    const layout = frameLayout(64, 48, 2);
    const colorbar = new Uint8Array(COLORBAR_WIDTH * 48 * 4).fill(200);
    // Frames that differ in their panels and text, and take unequal times to compose.
    const frame = (i: number) => ({
      panels: [0, 1].map((j) => ({ rgba: new Uint8Array(64 * 48 * 4).fill((37 * i + 91 * j) % 256), caption: `p${j}` })),
      text: { title: `layer ${i + 1}/9`, name: 'x'.repeat(1 + 7 * (i % 3)), detail: `frame ${i}` },
    });
    const delivered: [Buffer, number][] = [];
    const frames = await composeFrames(layout, colorbar, 9, frame, (f, i) => delivered.push([f, i]));
    // Handed over in order, each once, as the ones it returns.
    expect(delivered.map(([, i]) => i)).toEqual([...frames.keys()]);
    delivered.forEach(([f, i]) => expect(f).toBe(frames[i]));
    for (const [i, f] of frames.entries()) {
      const { panels, text } = frame(i);
      expect(f.equals(await composeFrame(layout, panels, colorbar, text))).toBe(true);
    }
    expect(frames[0].equals(frames[1])).toBe(false);
  });

  it('stops composing at the first frame that fails, and hands nothing over past it', async () => {
    const layout = frameLayout(32, 24, 1);
    const colorbar = new Uint8Array(COLORBAR_WIDTH * 24 * 4);
    const asked: number[] = [];
    const handed: number[] = [];
    const frame = (i: number) => {
      asked.push(i);
      if (i === 3) throw new Error('frame 3 failed');
      return { panels: [{ rgba: new Uint8Array(32 * 24 * 4), caption: '' }], text: { title: `${i}`, name: '', detail: '' } };
    };
    await expect(composeFrames(layout, colorbar, 40, frame, (_f, i) => handed.push(i))).rejects.toThrow('frame 3 failed');
    expect(Math.max(...handed)).toBeLessThan(3);
    // Frames are taken in order, so none past the one that failed was asked for.
    expect(asked.sort((x, y) => x - y)).toEqual([0, 1, 2, 3]);
  });
});
