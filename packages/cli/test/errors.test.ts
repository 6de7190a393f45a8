/**
 * Bad inputs: each gives exit code 1, one clear message on stderr (no stack trace unless
 * CAMANIM_DEBUG=1), and leaves nothing in --out (nor a staging folder beside it).
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_MODEL, bundledModel } from '../src/assets.ts';
import { camanim, scratch, writeTestImage } from './helpers/cli.ts';
import { writeTinyModel } from './helpers/tiny-model.ts';

let tmp: string;
let model: string;
let image: string;

beforeAll(async () => {
  tmp = scratch();
  model = writeTinyModel(join(tmp, 'tiny.onnx'));
  image = await writeTestImage(join(tmp, 'image.png'));
});

/** Runs explain into a fresh parent folder and checks the failure left nothing behind. */
async function failing(args: string[], message: RegExp, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const parent = join(tmp, `case-${Math.random().toString(36).slice(2)}`);
  mkdirSync(parent);
  const out = join(parent, 'out');
  const r = await camanim(['explain', '--model', model, '--image', image, '--out', out, '--quiet', ...args], env);
  expect(r.code).toBe(1);
  expect(r.err).toMatch(message);
  expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
  expect(r.out).toBe('');
  expect(existsSync(out)).toBe(false);
  expect(readdirSync(parent)).toEqual([]);
  return r.err;
}

describe('bad inputs', () => {
  it('an image that is not an image', async () => {
    const bad = join(tmp, 'broken.png');
    writeFileSync(bad, 'definitely not a PNG');
    const err = await failing(['--image', bad], /Cannot decode the image, it is corrupt, truncated or not an image/);
    expect(err).toContain('broken.png');
  });

  it('a decompression bomb, a truncated JPEG, an image over --max-pixels', async () => {
    const fixture = (name: string) => resolve(import.meta.dirname, 'fixtures/images', name);
    await failing(
      ['--image', fixture('bomb.png')],
      /The image declares 20000×20000 = 400,000,000 pixels.*bomb\.png.*--max-pixels/,
    );
    await failing(
      ['--image', fixture('truncated.jpg')],
      /Cannot decode the image, it is corrupt, truncated or not an image .*truncated\.jpg/,
    );
    await failing(['--max-pixels', '19199'], /declares 160×120 = 19,200 pixels, more than the limit of 19,199 .*image\.png/);
  });

  it('a GPU device lost twice (simulated): one recovery, then a clear error', async () => {
    await failing([], /The GPU device was lost again while explaining image \(destroyed: .*\), after one recovery.*Run again/, {
      ...process.env,
      CAMANIM_TEST_DEVICE_LOSSES: '2',
    });
  });

  it('an image that does not exist', async () => {
    await failing(['--image', join(tmp, 'missing.jpg')], /Image file not found.*missing\.jpg/);
  });

  it('an unknown method, listing the known ones', async () => {
    const err = await failing(['--method', 'gradcam,nosuchcam'], /Unknown CAM method 'nosuchcam'/);
    expect(err).toMatch(/Known methods: .*gradcam.*hirescam/);
  });

  it('a layer filter that matches nothing', async () => {
    await failing(['--layers', 'zz_no_such_layer'], /No layer matches the selection.*camanim layers/);
  });

  it('a class out of range', async () => {
    await failing(['--class', '8'], /Class 8 is out of range: the model has 8 classes \(0 to 7\)/);
  });

  it('an output folder that cannot be written', async () => {
    const file = join(tmp, 'a-file');
    writeFileSync(file, 'x');
    const r = await camanim(['explain', '--model', model, '--image', image, '--out', join(file, 'out'), '--quiet']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/Cannot write to the output folder.*a-file.*--out/);
    const r2 = await camanim(['explain', '--model', model, '--image', image, '--out', file, '--quiet']);
    expect(r2.code).toBe(1);
    expect(r2.err).toMatch(/exists and is not a folder/);
  });

  it('mp4 without ffmpeg names the missing program', async () => {
    const empty = join(tmp, 'empty-bin');
    mkdirSync(empty, { recursive: true });
    await failing(['--format', 'gif,mp4'], /needs the program 'ffmpeg'.*apt-get install ffmpeg/, { ...process.env, PATH: empty });
  });

  it('a file that is not an ONNX model', async () => {
    const bad = join(tmp, 'bad.onnx');
    writeFileSync(bad, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x01]));
    await failing(['--model', bad], /Not a valid ONNX file/);
  });

  it('no --model while the bundled model is missing', () => {
    const missing = join(tmp, 'no-assets', 'fashion-canvas.onnx');
    expect(() => bundledModel(missing)).toThrow(/bundled default model is missing.*no-assets.*--model/);
    expect(bundledModel(BUNDLED_MODEL)).toBe(BUNDLED_MODEL);
  });

  it('bad option values', async () => {
    await failing(['--alpha', '2'], /--alpha must be within 0\.\.1/);
    await failing(['--format', 'gif,avi'], /Unknown output format 'avi'.*Known formats/);
    await failing(['--class', '1', '--top-k', '2'], /--class and --top-k cannot be used together/);
    await failing(['--normalization', 'sideways'], /argument 'sideways' is invalid/);
    await failing(['--target', 'probability'], /Unknown --target 'probability'\. Known targets: logit, softmax, rest/);
    await failing(['--labels', join(tmp, 'no-labels.txt')], /Cannot read the labels file/);
  });

  it('prints the stack only with CAMANIM_DEBUG=1', async () => {
    const r = await camanim(
      ['explain', '--model', model, '--image', join(tmp, 'missing.jpg'), '--out', join(tmp, 'dbg'), '--quiet'],
      { ...process.env, CAMANIM_DEBUG: '1' },
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/\n\s+at /);
  });
});
