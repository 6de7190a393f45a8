/**
 * A GPU device lost mid-run (simulated: CAMANIM_TEST_DEVICE_LOSSES destroys it after the
 * forward pass, behind the model's back) is recovered once: `camanim explain` acquires a new
 * device, loads the model again, redoes the image, and writes the same files as a run without
 * the loss; `camanim road` likewise prints the same scores. Two losses: errors.test.ts ('a GPU
 * device lost twice').
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { camanim, scratch, writeTestImage, type CliResult } from './helpers/cli.ts';
import { writeTinyModel } from './helpers/tiny-model.ts';

let tmp: string;
let normal: CliResult;
let recovered: CliResult;

const explainInto = (out: string, env: NodeJS.ProcessEnv) =>
  camanim(
    [
      'explain',
      '--model',
      join(tmp, 'tiny.onnx'),
      '--image',
      join(tmp, 'image.png'),
      '--format',
      'gif,bundle',
      '--out',
      join(tmp, out),
    ],
    env,
  );
const files = (r: CliResult, out: string) =>
  r.out
    .trim()
    .split('\n')
    .map((f) => relative(join(tmp, out), f));

beforeAll(async () => {
  tmp = scratch();
  writeTinyModel(join(tmp, 'tiny.onnx'));
  await writeTestImage(join(tmp, 'image.png'));
  normal = await explainInto('normal', process.env);
  recovered = await explainInto('recovered', { ...process.env, CAMANIM_TEST_DEVICE_LOSSES: '1' });
}, 240_000);

describe('one device loss during explain', () => {
  it('is recovered with a notice naming the step', () => {
    expect(normal.code).toBe(0);
    expect(normal.err).not.toMatch(/lost/);
    expect(recovered.code).toBe(0);
    expect(recovered.err).toMatch(
      /The GPU device was lost while explaining image \(destroyed: .*\): acquiring a new device, loading the model again and redoing that step/,
    );
    expect(recovered.err).not.toMatch(/camanim: /);
  });

  it('writes the same files with the same contents as a run without the loss', () => {
    const listed = files(normal, 'normal');
    expect(listed).toContain('image/gradcam.gif');
    expect(listed).toContain('image/bundle/gradcam.layer.bin');
    expect(files(recovered, 'recovered')).toEqual(listed);
    for (const f of listed.filter((name) => !name.endsWith('manifest.json'))) {
      expect(readFileSync(join(tmp, 'recovered', f)).equals(readFileSync(join(tmp, 'normal', f))), f).toBe(true);
    }
    const manifest = (out: string) => ({
      ...JSON.parse(readFileSync(join(tmp, out, 'image/bundle/manifest.json'), 'utf8')),
      created: undefined,
    });
    expect(manifest('recovered')).toEqual(manifest('normal'));
  });
});

describe('one device loss during road', () => {
  it('is recovered and prints the same table and scores', async () => {
    const road = (env: NodeJS.ProcessEnv) =>
      camanim(
        ['road', '--model', join(tmp, 'tiny.onnx'), '--image', join(tmp, 'image.png'), '--percentiles', '50', '--every', '4'],
        env,
      );
    const plain = await road(process.env);
    const lost = await road({ ...process.env, CAMANIM_TEST_DEVICE_LOSSES: '1' });
    expect([plain.code, lost.code]).toEqual([0, 0]);
    expect(lost.err).toMatch(/The GPU device was lost while scoring the layers \(destroyed: /);
    expect(plain.out).toMatch(/ybROAD_max: /);
    expect(lost.out).toBe(plain.out);
  }, 240_000);
});
