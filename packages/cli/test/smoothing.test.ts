/**
 * End to end: `camanim explain --eigen-smooth --aug-smooth` (pytorch-grad-cam's eigen_smooth and
 * aug_smooth) on the bundled model, for the deepest layer only, and the up-front refusal of
 * eigen smoothing for methods that compute their own map (KPCA-CAM).
 */
import { rmSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sanitizeName } from '../src/staging.ts';
import { readBundle } from '../src/bundle.ts';
import { camanim, scratch } from './helpers/cli.ts';
import { subject, type Subject } from './helpers/subject.ts';

let subj: Subject;
let tmp: string;

beforeAll(async () => {
  tmp = scratch();
  subj = await subject(tmp);
}, 300_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('camanim explain with smoothing', () => {
  it('--eigen-smooth --aug-smooth: smoothed CAMs in [0, 1], titled as such', async () => {
    const out = join(tmp, 'out');
    const r = await camanim([
      'explain',
      ...subj.args,
      '--method',
      'gradcam',
      '--eigen-smooth',
      '--aug-smooth',
      '--percentiles',
      '100',
      '--format',
      'bundle',
      '--out',
      out,
    ]);
    expect(r.err).not.toMatch(/camanim: /);
    expect(r.code).toBe(0);
    const { manifest, maps } = await readBundle(join(out, sanitizeName(basename(subj.image, extname(subj.image)), 60), 'bundle'));
    const [cam] = manifest.cams;
    expect(cam.title).toBe('Grad-CAM (eigen-smoothed, aug-smoothed)');
    expect(cam.layers.length).toBe(1);
    for (const which of ['layer', 'input'] as const) {
      const m = await maps(cam, cam.layers[0], which);
      expect(Math.min(...m)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...m)).toBeLessThanOrEqual(1);
      expect(Math.max(...m)).toBeGreaterThan(0.5); // a mean of six maps that each reach 1
    }
  }, 300_000);

  it('--eigen-smooth with kpcacam is refused before any GPU work', async () => {
    const r = await camanim([
      'explain',
      ...subj.args,
      '--method',
      'gradcam,kpcacam',
      '--eigen-smooth',
      '--out',
      join(tmp, 'refused'),
    ]);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/--eigen-smooth does not apply to kpcacam/);
    expect(r.err).not.toMatch(/SwiftShader/);
  }, 120_000);
});
