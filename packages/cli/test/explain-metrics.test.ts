/**
 * `camanim explain --metrics`: every metric on the test subject's first and last layer (--every
 * 1000), end to end, against `camanim metrics` on the same image, method and layers — the files per
 * metric, the same numbers, the bundle's cams[].metrics through the validator, the tables on stderr,
 * ROAD scored once beside --ybroad — and the refusals where the metrics do not apply.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sanitizeName } from '../src/staging.ts';
import type { CamStack } from '@camanim/cam-methods';
import { bundleCam, readBundle } from '../src/bundle.ts';
import sharp from 'sharp';
import { frameLayout } from '../src/frames.ts';
import { METRIC_IDS, type ScoredMetric } from '../src/metrics.ts';
import type { ChosenTarget } from '../src/target.ts';
import { camanim, scratch, type CliResult } from './helpers/cli.ts';
import { FIXTURES } from './helpers/references.ts';
import { subject, type Subject } from './helpers/subject.ts';

const FEW = ['--every', '1000'];
const ALL = METRIC_IDS.join(',');
const OTHERS = METRIC_IDS.filter((id) => id !== 'road');
/** Least mean |Δ| (of 255) between MPRT's two panels for Grad-CAM: measured 58.7 and 61.7 (SwiftShader), half of that. */
const MPRT_PANEL_DIFF = 30;

let subj: Subject;
let tmp: string;
let explained: CliResult;
let dir: string;
let metricsOut: string;

const json = (folder: string, name: string) => JSON.parse(readFileSync(join(folder, name), 'utf8'));

/** The largest |a − b| over every number two JSON values hold at the same place (null: NaN on both). */
function maxDiff(a: unknown, b: unknown, path = ''): number {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b);
  if (Array.isArray(a) && Array.isArray(b)) {
    expect(a.length, path).toBe(b.length);
    return a.reduce((m: number, x, k) => Math.max(m, maxDiff(x, b[k], `${path}[${k}]`)), 0);
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    expect(Object.keys(a).sort(), path).toEqual(Object.keys(b).sort());
    return Object.keys(a).reduce((m, k) => Math.max(m, maxDiff((a as never)[k], (b as never)[k], `${path}.${k}`)), 0);
  }
  expect(a, path).toEqual(b);
  return 0;
}

describe('camanim explain --metrics', () => {
  beforeAll(async () => {
    tmp = scratch();
    subj = await subject(tmp);
    // --ybroad beside --metrics road: one ROAD. Without -q, the timing summary lists each step once.
    explained = await camanim([
      'explain',
      ...subj.args,
      ...FEW,
      '--ybroad',
      '--metrics',
      ALL,
      '--road-percentiles',
      '50',
      '--size',
      '64',
      '--format',
      'bundle,gif',
      '--out',
      join(tmp, 'out'),
    ]);
    dir = join(tmp, 'out', sanitizeName(basename(subj.image, extname(subj.image)), 60));
    metricsOut = join(tmp, 'metrics');
    const m = await camanim([
      'metrics',
      ...subj.args,
      ...FEW,
      '--metrics',
      ALL,
      '--percentiles',
      '50',
      '--out',
      metricsOut,
      '-q',
    ]);
    expect(m.err).not.toMatch(/camanim: /);
  }, 900_000);

  it('writes a JSON, an SVG and a PNG per metric beside ybroad.json, and prints each table', () => {
    expect(explained.err).not.toMatch(/camanim: /);
    expect(explained.code).toBe(0);
    const files = readdirSync(dir);
    for (const id of ['ybroad', ...OTHERS]) {
      for (const ext of ['json', 'svg', 'png']) expect(files, `${id}.${ext}`).toContain(`${id}.${ext}`);
    }
    expect(explained.err).toContain('Deletion AUC (RISE; lower is better)');
    expect(explained.err).toMatch(/^ {2}layer\s+name\s+ssim\s+spearman\s+ssimAll$/m);
    expect(explained.err).toMatch(/ybROAD_max: /);
  });

  it('scores ROAD once for --ybroad and --metrics road', () => {
    expect(explained.err.match(/gradcam: ybROAD over \d+ layers/g)).toHaveLength(1);
  });

  it('gives the numbers camanim metrics gives on the same image, method and layers', () => {
    const diffs: Record<string, number> = {};
    for (const id of ['ybroad', ...OTHERS]) {
      const ours = json(dir, `${id}.json`);
      const theirs = json(metricsOut, `${id}.json`);
      expect(ours.layers, id).toEqual(theirs.layers);
      expect(ours.target, id).toEqual(theirs.target);
      expect([ours.method, ours.camTarget], id).toEqual([theirs.method, theirs.camTarget]);
      diffs[id] = maxDiff(ours[id], theirs[id], id);
    }
    console.log(`explain --metrics vs camanim metrics, max |Δ|: ${JSON.stringify(diffs)}`);
    // Measured 0 for every metric (SwiftShader): both commands score through layer-scores.ts on the same CAMs.
    for (const [id, d] of Object.entries(diffs)) expect(d, id).toBe(0);
  });

  it("puts every metric but ROAD into the bundle's cams[].metrics, and the bundle validates", async () => {
    const { manifest } = await readBundle(join(dir, 'bundle'));
    const cam = manifest.cams[0];
    expect(cam.metrics?.map((m) => m.id)).toEqual(OTHERS);
    expect(cam.ybroad?.series.length).toBe(cam.layers.length);
    for (const m of cam.metrics ?? []) {
      expect(m.values.length, m.id).toBe(cam.layers.length);
      expect(m.better, m.id).toBe(['drop', 'deletion', 'mprt'].includes(m.id) ? 'lower' : 'higher');
    }
    const deletion = json(dir, 'deletion.json').deletion.series.map((s: { auc: number }) => s.auc);
    expect(cam.metrics?.find((m) => m.id === 'deletion')?.values).toEqual(deletion);
  });

  it("writes MPRT's animation beside CAManim's: per layer, the trained model's map and the randomised one", async () => {
    expect(readdirSync(dir)).toEqual(expect.arrayContaining(['gradcam.gif', 'gradcam-mprt.gif']));
    const mprt = json(dir, 'mprt.json');
    const [H, W] = mprt.contract.input.size;
    const layout = frameLayout(64, Math.max(2, Math.round((64 * H) / W / 2) * 2), 2);
    const gif = sharp(join(dir, 'gradcam-mprt.gif'), { pages: -1 });
    const meta = await gif.metadata();
    expect([meta.pages, meta.width, meta.pageHeight]).toEqual([mprt.layers.length, layout.width, layout.height]);
    const { data } = await gif.ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const top = layout.pad + layout.captionH;
    // Grad-CAM reads the gradient, so its map changes once the model after the layer is randomised
    // (mprt.test.ts: SSIM < 0.9 at every layer): the two panels differ in every frame.
    for (let k = 0; k < mprt.layers.length; k++) {
      let diff = 0;
      for (let y = 0; y < layout.panelH; y++) {
        for (let x = 0; x < layout.panelW; x++) {
          const at = (px: number) => ((k * layout.height + top + y) * layout.width + px) * 4;
          const [a, b] = [at(layout.pad + x), at(layout.pad + layout.panelW + layout.gap + x)];
          for (let c = 0; c < 3; c++) diff += Math.abs(data[a + c] - data[b + c]);
        }
      }
      const mean = diff / (3 * layout.panelW * layout.panelH);
      console.log(`MPRT frame ${k + 1}: mean |trained − randomised| ${mean.toFixed(1)} of 255`);
      expect(mean, mprt.layers[k]).toBeGreaterThan(MPRT_PANEL_DIFF);
    }
  });

  it('names a second explanation of the image by its stem', async () => {
    const out = join(tmp, 'two');
    const r = await camanim([
      'explain',
      ...subj.args,
      ...FEW,
      '--method',
      'gradcam,eigencam',
      '--metrics',
      'drop',
      '--format',
      'bundle',
      '--out',
      out,
      '-q',
    ]);
    expect(r.err).not.toMatch(/camanim: /);
    const files = readdirSync(join(out, basename(dir)));
    expect(files).toEqual(expect.arrayContaining(['drop.json', 'drop.svg', 'drop.png', 'drop-eigencam.json']));
    expect(json(join(out, basename(dir)), 'drop-eigencam.json').method).toBe('eigencam');
  }, 300_000);
});

describe('camanim explain --metrics refusals', () => {
  const explain = (args: string[]) => camanim(['explain', '--out', join(scratch(), 'refused'), '-q', ...args]);

  it('refuses an unknown metric and the metric options without --metrics, naming the flag', async () => {
    const unknown = await explain(['--metrics', 'road,aopc']);
    expect(unknown.err).toContain("camanim: --metrics: unknown metric 'aopc'");
    expect(unknown.err).toContain(METRIC_IDS.join(', '));
    const step = await explain(['--causal-step', '64']);
    expect(step.err).toContain('--causal-step is an option of --metrics, which is not given');
    expect(step.err).toContain('--metrics deletion,insertion');
  });

  it('refuses video models and tasks whose metrics are not defined, before any GPU work', async () => {
    const video = await explain([
      '--model',
      resolve(import.meta.dirname, '../../../test/fixtures/models/r3d_18.onnx'),
      '--video',
      resolve(import.meta.dirname, 'fixtures/video'),
      ...['--mean', '0.43216,0.394666,0.37645', '--std', '0.22803,0.22145,0.216989', '--resize', 'stretch'],
      '--metrics',
      'deletion',
    ]);
    expect(video.code).not.toBe(0);
    expect(video.err).toContain('--metrics is not supported for video models yet (the metrics perturb 2-D images)');
    expect(video.err).toContain('Drop --metrics');
    const segment = await explain([
      '--model',
      join(FIXTURES, 'segment.onnx'),
      '--image',
      join(FIXTURES, 'image-48x192.png'),
      '--mean',
      '0.5',
      '--std',
      '0.5',
      '--task',
      'segment',
      '--metrics',
      'drop',
    ]);
    expect(segment.code).not.toBe(0);
    expect(segment.err).toContain("--metrics does not apply to --task segment yet: the metrics score a classifier's confidence");
    expect(segment.err).toContain('Drop --metrics, or explain a classifier');
  }, 120_000);
});

describe('the bundle of explain --metrics', () => {
  it('keeps a metric without a value at some layer, with null there (JSON has no NaN; the chart leaves a gap)', () => {
    const layer = { name: 'a', opType: 'Relu', shape: [1, 1, 2, 2], raw: new Float32Array(4), upsampled: new Float32Array(4) };
    const stack = { method: 'gradcam', scores: [1], layers: [layer, { ...layer, name: 'b' }] } as unknown as CamStack;
    const metric = (id: ScoredMetric['id'], values: number[]) =>
      ({
        id,
        title: id,
        chart: { values, mean: 0, mark: { layer: 0, name: 'a', word: 'min' }, axis: id },
      }) as unknown as ScoredMetric;
    const target = { class: 0, label: 'zero', kind: 'logit', probability: 1 } as ChosenTarget;
    const ex = { stem: 'gradcam', methodTitle: 'Grad-CAM', target, stack };
    const { cam } = bundleCam({ ...ex, metrics: [metric('deletion', [0.5, 0.25]), metric('mprt', [Number.NaN, 1])] }, new Map());
    expect(cam.metrics?.map((m) => [m.id, m.values])).toEqual([
      ['deletion', [0.5, 0.25]],
      ['mprt', [null, 1]],
    ]);
  });
});
