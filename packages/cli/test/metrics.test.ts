/**
 * `camanim metrics`: every metric beside ROAD on the bundled model's sample at the five layers of
 * tools/metrics_reference.py, end to end (decode, contract, CAMs, metrics, files), against that
 * script's numbers (pytorch-grad-cam's CAM-times-image classes, the float64 Deletion / Insertion with
 * raster ties, MPRT with Quantus's similarities). `camanim road` (ROAD only) is road.test.ts's.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { metricsFixture, type MetricsFixture } from '../../cam-methods/test/metrics-fixture.ts';
import { bundleMetrics, parseMetricList, type ScoredMetric } from '../src/metrics.ts';
import { camanim, scratch, type CliResult } from './helpers/cli.ts';

let fx: MetricsFixture;
let tmp: string;
let out: string;
let r: CliResult;

beforeAll(async () => {
  fx = metricsFixture().fx; // fails with the command that makes it when the fixture is missing
  const layers = `^(${fx.layers.map((l) => l.onnx.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})$`;
  tmp = scratch();
  out = join(tmp, 'metrics');
  r = await camanim([
    'metrics',
    '--metrics',
    'road,drop,increase,multconf,insertion,deletion,mprt',
    '--layers',
    layers,
    '--causal-step',
    String(fx.step),
    '--percentiles',
    '50',
    '--out',
    out,
    '-q',
  ]);
}, 600_000);

const read = (name: string) => JSON.parse(readFileSync(join(out, name), 'utf8'));

describe('camanim metrics', () => {
  it('writes a JSON, an SVG and a PNG per metric beside ybroad.json, and a table each', () => {
    expect(r.err).not.toMatch(/camanim: /);
    expect(r.code).toBe(0);
    const files = readdirSync(out).sort();
    for (const id of ['ybroad', 'drop', 'increase', 'multconf', 'insertion', 'deletion', 'mprt']) {
      for (const ext of ['json', 'svg', 'png']) expect(files, `${id}.${ext}`).toContain(`${id}.${ext}`);
    }
    expect(r.out).toMatch(/^layer\s+name\s+MoRF50\s+LeRF50\s+ROAD$/m);
    expect(r.out).toContain('Deletion AUC (RISE; lower is better)');
    expect(r.out).toMatch(/^layer\s+name\s+auc$/m);
    const del = read('deletion.json');
    expect(del.metric).toBe('deletion');
    expect(del.layers).toEqual(fx.layers.map((l) => l.onnx));
    expect(del.target).toMatchObject({ class: 7, kind: 'softmax' });
    // The chart marks the best layer: the lowest deletion AUC.
    const svg = readFileSync(join(out, 'deletion.svg'), 'utf8');
    const best = del.deletion.series
      .map((s: { auc: number }) => s.auc)
      .reduce((b: number, v: number, k: number, a: number[]) => (v < a[b] ? k : b), 0);
    expect(svg).toContain(`layer ${best + 1}`);
    expect(svg).toMatch(/data-role="max-label"[^>]*>min /);
  });

  it('gives the reference numbers at every layer (measured worst 3.0e-7 cam-mult, 4.5e-8 deletion/insertion)', () => {
    const mult = read('multconf.json').multconf.series;
    const del = read('deletion.json').deletion.series;
    const ins = read('insertion.json').insertion.series;
    let eMult = 0;
    let eCausal = 0;
    fx.layers.forEach((l, k) => {
      eMult = Math.max(eMult, Math.abs(mult[k].change - l.pgc!.change), Math.abs(mult[k].drop - l.pgc!.drop));
      expect(mult[k].increase).toBe(l.pgc!.increase);
      eCausal = Math.max(eCausal, Math.abs(del[k].auc - l.deletion.auc), Math.abs(ins[k].auc - l.insertion.auc));
    });
    console.log(
      `camanim metrics vs reference: cam-mult ${eMult.toExponential(2)}, deletion/insertion ${eCausal.toExponential(2)}`,
    );
    expect(eMult).toBeLessThan(2e-6);
    expect(eCausal).toBeLessThan(2e-6);
    expect(read('drop.json').drop).toEqual(read('multconf.json').multconf);
  });

  it('MPRT: the cascade and its SSIM per step and layer (measured worst 1.1e-6)', () => {
    const m = read('mprt.json').mprt;
    expect(m.steps.map((s: { node: string }) => s.node)).toEqual(fx.mprt.steps);
    let e = 0;
    m.ssim.forEach((row: (number | null)[], s: number) =>
      row.forEach((v, l) => (e = Math.max(e, Math.abs((v ?? NaN) - fx.mprt.ssim[s][l])))),
    );
    console.log(`camanim metrics mprt vs reference: ssim ${e.toExponential(2)}`);
    expect(e).toBeLessThan(1e-5);
    expect(r.out).toMatch(/^layer\s+name\s+ssim\s+spearman\s+ssimAll$/m);
  });

  it('refuses an unknown metric, naming the flag and the choices', async () => {
    const bad = await camanim(['metrics', '--metrics', 'road,aopc', '-q']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/camanim: --metrics: unknown metric 'aopc'/);
    expect(bad.err).toContain('road, drop, increase, multconf, insertion, deletion, mprt');
  });
});

describe('metrics helpers', () => {
  it('parseMetricList keeps the given order, once each; bundleMetrics says which way is better', () => {
    expect(parseMetricList(' Deletion,road,deletion ,mprt')).toEqual(['deletion', 'road', 'mprt']);
    expect(() => parseMetricList(' , ')).toThrow(/--metrics is empty/);
    const scored = (id: ScoredMetric['id'], word: string) =>
      ({
        id,
        title: id,
        chart: { values: [0.5, 0.25], mean: 0.375, mark: { layer: 1, name: 'b', word }, axis: id },
      }) as unknown as ScoredMetric;
    expect(bundleMetrics([scored('deletion', 'min'), scored('insertion', 'max')])).toEqual([
      { id: 'deletion', title: 'deletion', better: 'lower', values: [0.5, 0.25] },
      { id: 'insertion', title: 'insertion', better: 'higher', values: [0.5, 0.25] },
    ]);
  });
});
