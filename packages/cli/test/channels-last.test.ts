/**
 * A channels-last model (input [N, H, W, 3], transposed inside, as tf2onnx exports) is
 * explained exactly like its channels-first twin with the same weights: same layers (plus the
 * model's own Transpose), same maps, and no adapter node among the layers.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readBundle } from '../src/bundle.ts';
import { camanim, scratch, writeTestImage } from './helpers/cli.ts';
import { writeTinyModel } from './helpers/tiny-model.ts';

let tmp: string;

async function explain(model: string, out: string) {
  const r = await camanim([
    'explain',
    '--model',
    model,
    '--image',
    join(tmp, 'image.png'),
    '--out',
    out,
    '--format',
    'bundle',
    '--quiet',
  ]);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return readBundle(join(out, 'image', 'bundle'));
}

beforeAll(async () => {
  tmp = scratch();
  await writeTestImage(join(tmp, 'image.png'));
});

describe('channels-last models', () => {
  it('are explained like their channels-first twin', async () => {
    const first = await explain(writeTinyModel(join(tmp, 'nchw.onnx'), 32, false), join(tmp, 'out-nchw'));
    const last = await explain(writeTinyModel(join(tmp, 'nhwc.onnx'), 32, true), join(tmp, 'out-nhwc'));
    expect(last.manifest.inputShape).toEqual([1, 3, 32, 32]);
    expect(last.manifest.target.class).toBe(first.manifest.target.class);
    const names = (b: typeof first) => b.manifest.cams[0].layers.map((l) => l.name);
    // the model's own NHWC→NCHW Transpose is a layer; camanim's adapter in front of it is not
    expect(names(last).filter((n) => !names(first).includes(n))).toEqual(['nchw']);
    expect(names(last).some((n) => n.startsWith('camanim'))).toBe(false);
    for (const layer of first.manifest.cams[0].layers) {
      const twin = last.manifest.cams[0].layers.find((l) => l.name === layer.name)!;
      for (const which of ['layer', 'input'] as const) {
        const a = await first.maps(first.manifest.cams[0], layer, which);
        const b = await last.maps(last.manifest.cams[0], twin, which);
        expect(b.length).toBe(a.length);
        const scale = Math.max(1e-12, ...a.map(Math.abs));
        expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]))) / scale).toBeLessThan(1e-5);
      }
    }
  });
});
