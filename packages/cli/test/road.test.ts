/**
 * ybROAD in the CLI: `explain --ybroad` (bundle in the viewer's format, labelled frames, chart)
 * and `camanim road` (table, max/mean, chart; cam-methods' errors as one line). Few layers
 * (--every 1000 keeps the first and the last) and one percentile keep SwiftShader time low.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { sanitizeName } from '../src/staging.ts';
import { readBundle } from '../src/bundle.ts';
import { camanim, scratch, type CliResult } from './helpers/cli.ts';
import { subject, type Subject } from './helpers/subject.ts';

const FEW = ['--every', '1000'];

let subj: Subject;
let tmp: string;
let explainResult: CliResult;
let dir: string;

beforeAll(async () => {
  tmp = scratch();
  subj = await subject(tmp);
  explainResult = await camanim([
    'explain',
    ...subj.args,
    ...FEW,
    '--ybroad',
    '--road-percentiles',
    '50',
    '--size',
    '96',
    '--format',
    'png,bundle',
    '--out',
    join(tmp, 'out'),
  ]);
  dir = join(tmp, 'out', sanitizeName(basename(subj.image, extname(subj.image)), 60));
}, 300_000);

describe('camanim explain --ybroad', () => {
  it("writes ybROAD into the bundle as cam-methods' YbRoad (per cam and top level)", async () => {
    expect(explainResult.err).not.toMatch(/camanim: /);
    expect(explainResult.code).toBe(0);
    const { manifest } = await readBundle(join(dir, 'bundle'));
    const yb = manifest.cams[0].ybroad!;
    expect(yb).toBeDefined();
    expect(manifest.ybroad).toEqual(yb);
    expect(yb.series.length).toBe(manifest.layers.length);
    for (const s of yb.series) {
      expect(s.percentiles).toEqual([50]);
      expect(s.road).toBeCloseTo(s.combined[0], 12);
      expect(s.combined[0]).toBeCloseTo((s.lerf[0] - s.morf[0]) / 2, 12);
      expect(Number.isFinite(s.road)).toBe(true);
    }
    const values = yb.series.map((s) => s.road);
    expect(yb.max.value).toBe(Math.max(...values));
    expect(yb.max.name).toBe(manifest.layers[yb.max.layer].name);
    expect(yb.mean).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 12);
    // The defaults, recorded: pytorch-grad-cam's tie rule and reading, the paper's sum.
    expect(yb.settings).toMatchObject({
      ties: 'threshold',
      percent: 'kept',
      combine: 'sum',
      percentiles: [50],
      noise: 0,
      map: 'pytorch-grad-cam',
    });
  });

  it('prints ybROAD_max and ybROAD_mean, writes the chart, and labels the frames', async () => {
    const { manifest } = await readBundle(join(dir, 'bundle'));
    const yb = manifest.ybroad!;
    expect(explainResult.err).toContain(`ybROAD_max: ${yb.max.value.toFixed(4)} at layer ${yb.max.layer + 1} (${yb.max.name})`);
    expect(explainResult.err).toContain(`ybROAD_mean: ${yb.mean.toFixed(4)}`);
    const svg = readFileSync(join(dir, 'ybroad.svg'), 'utf8');
    expect(svg).toContain('data-role="max"');
    expect(svg).toContain('data-role="mean"');
    expect(svg).toContain('stroke-dasharray');
    expect(svg).toContain('>ROAD<');
    const png = await sharp(join(dir, 'ybroad.png')).metadata();
    expect([png.format, png.width, png.height]).toEqual(['png', 720, 400]);
    // Frames differ from a run without --ybroad only by the label; here: the frame count and existence.
    const frames = readdirSync(join(dir, 'gradcam-frames'));
    expect(frames.length).toBe(manifest.layers.length);
  });
});

describe('camanim road', () => {
  it('prints a table per layer and the max/mean, and writes the chart into --out', async () => {
    const out = join(tmp, 'road-out');
    const r = await camanim([
      'road',
      ...subj.args,
      ...FEW,
      '--percentiles',
      '50',
      '--target',
      'softmax',
      '--road-preset',
      'pytorch-grad-cam',
      '--road-noise',
      '0',
      '--out',
      out,
      '-q',
    ]);
    expect(r.err).not.toMatch(/camanim: /);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    const header = lines.findIndex((l) => /^layer\s+name\s+MoRF50\s+LeRF50\s+ROAD$/.test(l));
    expect(header).toBeGreaterThan(-1);
    const json = JSON.parse(readFileSync(join(out, 'ybroad.json'), 'utf8'));
    expect(lines[0]).toMatch(/ · CAM target: softmax · ROAD target: softmax$/);
    expect(json.camTarget).toBe('softmax');
    expect(json.ybroad.settings).toMatchObject({
      ties: 'threshold',
      percent: 'kept',
      combine: 'mean',
      percentiles: [50],
      noise: 0,
      map: 'pytorch-grad-cam',
    });
    expect(r.out).toContain('ROAD conventions: ties threshold · p kept · mean over p (50) · noise 0 · map pytorch-grad-cam');
    const L = json.ybroad.series.length;
    expect(L).toBeGreaterThanOrEqual(1);
    const rows = lines.slice(header + 2, header + 2 + L);
    rows.forEach((row, k) => {
      expect(row.trim().startsWith(`${k + 1} `)).toBe(true);
      expect(row).toContain(json.layers[k]);
      expect(row).toContain(json.ybroad.series[k].road.toFixed(4));
    });
    expect(r.out).toContain(`ybROAD_max: ${json.ybroad.max.value.toFixed(4)} at layer ${json.ybroad.max.layer + 1}`);
    expect(r.out).toContain('ybROAD_mean: ');
    expect(existsSync(join(out, 'ybroad.svg'))).toBe(true);
    expect((await sharp(join(out, 'ybroad.png')).metadata()).format).toBe('png');
    // camanim road is camanim metrics --metrics road: ROAD's files only.
    expect(readdirSync(out).sort()).toEqual(['ybroad.json', 'ybroad.png', 'ybroad.svg']);
  }, 300_000);

  it("a percentile outside (0, 100) is cam-methods' error on one line, exit 1", async () => {
    const r = await camanim(['road', ...subj.args, '--layers', 'spatial', ...FEW, '--percentiles', '20,100', '-q']);
    expect(r.code).toBe(1);
    expect(
      r.err
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('camanim: ')),
    ).toEqual([expect.stringMatching(/^camanim: ROAD percentile 100 is outside \(0, 100\)/)]);
    expect(r.out).toBe('');
  });
});
