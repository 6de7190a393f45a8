/**
 * End to end: `camanim explain --method gradcam,fullgrad,shapleycam` on the bundled model (or the
 * fallback of helpers/subject.ts). The CLI's target is the class logit, whose Hessian is zero, so
 * ShapleyCAM must come out as Grad-CAM; FullGrad's frames are sums of [0, 1]-scaled maps.
 */
import { basename, extname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sanitizeName } from '../src/atomic.ts';
import { readBundle } from '../src/bundle.ts';
import { camanim, scratch, type CliResult } from './helpers/cli.ts';
import { subject } from './helpers/subject.ts';

let result: CliResult;
let bundle: Awaited<ReturnType<typeof readBundle>>;

beforeAll(async () => {
  const tmp = scratch();
  const subj = await subject(tmp);
  const out = join(tmp, 'out');
  result = await camanim(['explain', ...subj.args, '--method', 'gradcam,fullgrad,shapleycam', '--every', '4', '--format', 'bundle', '--out', out]);
  bundle = await readBundle(join(out, sanitizeName(basename(subj.image, extname(subj.image)), 60), 'bundle'));
}, 300_000);

describe('camanim explain --method fullgrad,shapleycam', () => {
  it('succeeds with one explanation per method', () => {
    expect(result.err).not.toMatch(/camanim: /);
    expect(result.code).toBe(0);
    expect(bundle.manifest.cams.map((c) => c.method)).toEqual(['gradcam', 'fullgrad', 'shapleycam']);
  });

  it('ShapleyCAM with the logit target equals Grad-CAM at every layer', async () => {
    const [gradcam, , shapley] = bundle.manifest.cams;
    expect(shapley.layers.length).toBeGreaterThan(2);
    for (const [k, layer] of shapley.layers.entries()) {
      const want = await bundle.maps(gradcam, gradcam.layers[k], 'layer');
      const got = await bundle.maps(shapley, layer, 'layer');
      const scale = Math.max(...want.map(Math.abs));
      expect(scale).toBeGreaterThan(0);
      got.forEach((v, i) => expect(Math.abs(v - want[i]) / scale, layer.name).toBeLessThan(1e-5));
    }
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
