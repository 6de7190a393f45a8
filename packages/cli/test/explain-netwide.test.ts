/**
 * End to end: `camanim explain --method gradcam,fullgrad,shapleycam` on the bundled model (or the
 * fallback of helpers/subject.ts). With the default target, the class logit, whose Hessian is
 * zero, ShapleyCAM must come out as Grad-CAM; with `--target rest` (ReST, curved) it must not.
 * FullGrad's frames are sums of [0, 1]-scaled maps.
 */
import { basename, extname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sanitizeName } from '../src/staging.ts';
import { readBundle, type BundleCam } from '../src/bundle.ts';
import { camanim, scratch, type CliResult } from './helpers/cli.ts';
import { subject } from './helpers/subject.ts';

type Bundle = Awaited<ReturnType<typeof readBundle>>;
let result: CliResult;
let bundle: Bundle;
let restResult: CliResult;
let rest: Bundle;

beforeAll(async () => {
  const tmp = scratch();
  const subj = await subject(tmp);
  const explain = async (out: string, args: string[]): Promise<[CliResult, Bundle]> => {
    const r = await camanim(['explain', ...subj.args, ...args, '--format', 'bundle', '--out', join(tmp, out)]);
    return [
      r,
      r.code === 0
        ? await readBundle(join(tmp, out, sanitizeName(basename(subj.image, extname(subj.image)), 60), 'bundle'))
        : (undefined as never),
    ];
  };
  [result, bundle] = await explain('logit', ['--method', 'gradcam,fullgrad,shapleycam', '--every', '4']);
  [restResult, rest] = await explain('rest', [
    '--method',
    'gradcam,shapleycam',
    '--target',
    'rest',
    '--percentiles',
    '60,80,100',
  ]);
}, 300_000);

/** Largest |a − b| over the map, relative to the largest |a|, at every layer of two explanations. */
async function differences(b: Bundle, first: BundleCam, second: BundleCam): Promise<number[]> {
  return Promise.all(
    second.layers.map(async (layer, k) => {
      const want = await b.maps(first, first.layers[k], 'layer');
      const got = await b.maps(second, layer, 'layer');
      const scale = Math.max(...want.map(Math.abs));
      expect(scale, layer.name).toBeGreaterThan(0);
      return Math.max(...got.map((v, i) => Math.abs(v - want[i]))) / scale;
    }),
  );
}

describe('camanim explain --method fullgrad,shapleycam', () => {
  it('succeeds with one explanation per method', () => {
    expect(result.err).not.toMatch(/camanim: /);
    expect(result.code).toBe(0);
    expect(bundle.manifest.cams.map((c) => c.method)).toEqual(['gradcam', 'fullgrad', 'shapleycam']);
  });

  it('ShapleyCAM with the logit target (the default) equals Grad-CAM at every layer', async () => {
    const [gradcam, , shapley] = bundle.manifest.cams;
    expect(shapley.layers.length).toBeGreaterThan(2);
    expect(bundle.manifest.cams.map((c) => c.target.kind)).toEqual(['logit', 'logit', 'logit']);
    for (const d of await differences(bundle, gradcam, shapley)) expect(d).toBeLessThan(1e-5);
  });

  it('--target rest: the manifest records it, the score is ReST, and ShapleyCAM differs from Grad-CAM', async () => {
    expect(restResult.err).not.toMatch(/camanim: /);
    expect(restResult.code).toBe(0);
    const [gradcam, shapley] = rest.manifest.cams;
    expect([gradcam.method, shapley.method]).toEqual(['gradcam', 'shapleycam']);
    expect(rest.manifest.target.kind).toBe('rest');
    expect(shapley.target.kind).toBe('rest');
    // ReST = z_c + log softmax(z)_c
    const predicted = rest.manifest.prediction.find((p) => p.class === gradcam.target.class)!;
    expect(gradcam.score).toBeCloseTo(predicted.logit + Math.log(predicted.probability), 4);
    expect(gradcam.score).toBeLessThan(predicted.logit);
    expect(shapley.layers.length).toBe(3);
    // The bundled model: 3e-3 to 7e-2 (its sample is a Sneaker at p 0.98); the logit target's differences are under 1e-5.
    for (const d of await differences(rest, gradcam, shapley)) expect(d).toBeGreaterThan(1e-3);
  });

  it('FullGrad frames are finite, non-negative, and not all empty', async () => {
    const fullgrad = bundle.manifest.cams[1];
    let peak = 0;
    for (const layer of fullgrad.layers) {
      const map = await bundle.maps(fullgrad, layer, 'layer');
      for (const v of map) expect(Number.isFinite(v) && v >= 0, layer.name).toBe(true);
      peak = Math.max(peak, ...map);
    }
    expect(peak).toBeGreaterThan(1);
  });
});
