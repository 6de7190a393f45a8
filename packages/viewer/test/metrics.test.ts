/**
 * Every metric charts (issue #16 item 3): the chart offers each per-layer metric of the
 * explanation (ROAD from ybROAD, then the bundle's cams[].metrics), draws the one picked with a
 * point per layer and its best layer ringed (max for higher-is-better, min for lower), and a
 * ROAD point's tooltip gives MoRF and LeRF at each percentile.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { smallNet, writeBundle, type WrittenBundle } from './helpers/bundle.ts';
import { settled, startSession, type ViewerSession } from './helpers/harness.ts';

const SHOTS = process.env.CAMANIM_SHOTS ?? join(tmpdir(), 'camanim-metrics-shots');

let root: string;
let session: ViewerSession;
let bundle: WrittenBundle;
const L = smallNet().length;
const drop = Array.from({ length: L }, (_, k) => 0.6 - 0.04 * k + 0.03 * Math.cos(k));
/** MPRT-like: no value at layer 3 (a constant map), so the line breaks there. */
const GAP = 3;
const mprt = drop.map((v, k) => (k === GAP ? null : 1 - v));

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'camanim-metrics-'));
  mkdirSync(SHOTS, { recursive: true });
  bundle = writeBundle(join(root, 'metrics'), {
    width: 96,
    height: 96,
    layers: smallNet(),
    metrics: [
      { id: 'drop-confidence', title: 'Drop in confidence', better: 'lower', values: drop },
      { id: 'mprt', title: 'MPRT', better: 'lower', values: mprt },
    ],
  });
  session = await startSession(root);
});

afterAll(async () => {
  await session?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

test('ROAD and the other metric, selectable; best ringed; MoRF/LeRF per percentile on a ROAD point', async () => {
  const p = await session.page('?bundle=b/metrics/');
  expect(await settled(p)).toBe('ready');
  const menu = p.locator('#chart [data-role=metric]');
  expect(await menu.locator('option').allTextContents()).toEqual(['ybROAD · ROAD per layer', 'Drop in confidence', 'MPRT']);
  expect(await p.getAttribute('#chart svg.chart', 'data-metric')).toBe('road');
  const road = bundle.manifest.cams[0].ybroad!;
  const tip = await p.locator('#chart .point[data-layer="4"] title').textContent();
  const s = road.series[4];
  expect(tip).toContain(`ROAD ${s.road.toFixed(4)}`);
  s.percentiles.forEach((q, j) => expect(tip).toContain(`p ${q}: MoRF ${s.morf[j].toFixed(4)} · LeRF ${s.lerf[j].toFixed(4)}`));

  await menu.selectOption('drop-confidence');
  expect(await p.getAttribute('#chart svg.chart', 'data-metric')).toBe('drop-confidence');
  const values = await p.locator('#chart .point').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-value'))));
  expect(values).toHaveLength(L);
  values.forEach((v, k) => expect(v).toBeCloseTo(drop[k], 12));
  const best = drop.indexOf(Math.min(...drop));
  expect(await p.getAttribute('#chart [data-role=max]', 'data-layer')).toBe(String(best));
  expect(await p.textContent('#chart .max-label')).toMatch(/^min /);
  await p.locator('#chart').screenshot({ path: join(SHOTS, 'metric-chart-drop-in-confidence.png') });
  // The cursor still follows the layer, and the pick survives a layer change.
  await p.evaluate('camanim.goTo(5)');
  expect(await p.getAttribute('#chart [data-role=cursor]', 'data-layer')).toBe('5');
  expect(await p.getAttribute('#chart svg.chart', 'data-metric')).toBe('drop-confidence');
  await p.close();
});

test('a layer without a value (null in the bundle) is a gap: no point, the line broken, the best among the rest', async () => {
  const p = await session.page('?bundle=b/metrics/');
  expect(await settled(p)).toBe('ready');
  await p.locator('#chart [data-role=metric]').selectOption('mprt');
  const layers = await p.locator('#chart .point').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-layer'))));
  expect(layers).toEqual(Array.from({ length: L }, (_, k) => k).filter((k) => k !== GAP));
  expect(await p.locator('#chart polyline.series').count()).toBe(2);
  const present = mprt.filter((v): v is number => v !== null);
  const best = mprt.indexOf(Math.min(...present));
  expect(await p.getAttribute('#chart [data-role=max]', 'data-layer')).toBe(String(best));
  const mean = present.reduce((a, b) => a + b, 0) / present.length;
  expect(await p.textContent('#chart .mean-label')).toBe(`mean ${mean.toFixed(3)}`);
  await p.close();
});
