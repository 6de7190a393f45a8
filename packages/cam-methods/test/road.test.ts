import { describe, expect, it } from 'vitest';
import { loadModel, type Run } from '@camanim/core';
import { encodeModel } from '../../core/test/onnx-builder.ts';
import { computeCams, road, ybroad } from '../src/index.ts';
import { exactImpute } from './exact-impute.ts';
import { seeded, testRuntime } from './gpu.ts';

// x [1,2,5,5] → Mul(mask-like weights) → ReduceSum(2,3) → y [1,2] logits; a spatially uneven model.
const W = Array.from(seeded(50, 4, -1, 1), (v, i) => v * (1 + (i % 25 < 8 ? 3 : 0)));
const bytes = encodeModel({
  nodes: [
    { op: 'Mul', inputs: ['x', 'w'], outputs: ['a'] },
    { op: 'Relu', inputs: ['a'], outputs: ['r'] },
    { op: 'ReduceSum', inputs: ['r', 'axes'], outputs: ['y'], attrs: { keepdims: 0 } },
  ],
  inputs: [{ name: 'x', dims: ['n', 2, 5, 5] }],
  outputs: ['y'],
  initializers: [
    { name: 'w', dims: [1, 2, 5, 5], data: W },
    { name: 'axes', dims: [2], data: [2, 3] },
  ],
});
const x = seeded(50, 9, -1, 1);

const hostForward = (img: ArrayLike<number>) =>
  [0, 1].map((j) => {
    let s = 0;
    for (let p = 0; p < 25; p++) s += Math.max(img[j * 25 + p] * W[j * 25 + p], 0);
    return s;
  });
const softmax0 = (y: number[]) => Math.exp(y[0]) / (Math.exp(y[0]) + Math.exp(y[1]));

/** Host ROAD: rank by value (desc, index asc), impute exactly, score the softmax of class 0. */
function hostRoad(cam: number[], percentiles: number[]) {
  const order = cam
    .map((v, i) => [v, i])
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .map(([, i]) => i);
  const base = softmax0(hostForward(x));
  const score = (removed: number[]) => {
    const mask = new Float32Array(25);
    removed.forEach((i) => (mask[i] = 1));
    const img = [0, 1].flatMap((c) => Array.from(exactImpute(x.subarray(c * 25, (c + 1) * 25), mask, 5, 5)));
    return softmax0(hostForward(img)) - base;
  };
  const morf = percentiles.map((p) => score(order.slice(0, Math.round((p / 100) * 25))));
  const lerf = percentiles.map((p) => score(order.slice(25 - Math.round((p / 100) * 25))));
  return { morf, lerf };
}

async function setup(): Promise<Run> {
  const model = await loadModel(bytes, { runtime: await testRuntime() });
  return model.run({ data: x, shape: [1, 2, 5, 5] });
}

describe('ROAD', () => {
  it('rank ties, p removed, sum (camanim before the conventions): MoRF and LeRF match an exact host pipeline (noise 0)', async () => {
    const run = await setup();
    const cam = Array.from(seeded(25, 17, 0, 1));
    const r = await road(run, cam, {
      target: { class: 0, kind: 'softmax' },
      noise: 0,
      percentiles: [20, 40, 60, 80],
      tolerance: 1e-6,
      ties: 'rank',
      percent: 'removed',
      combine: 'sum',
    });
    const want = hostRoad(cam, [20, 40, 60, 80]);
    r.morf.forEach((v, k) => expect(v).toBeCloseTo(want.morf[k], 4));
    r.lerf.forEach((v, k) => expect(v).toBeCloseTo(want.lerf[k], 4));
    r.combined.forEach((v, k) => expect(v).toBeCloseTo((want.lerf[k] - want.morf[k]) / 2, 4));
    expect(r.road).toBeCloseTo(
      r.combined.reduce((a, b) => a + b, 0),
      6,
    );
    expect(r.settings).toEqual({
      ties: 'rank',
      percent: 'removed',
      combine: 'sum',
      percentiles: [20, 40, 60, 80],
      noise: 0,
      seed: 0,
      target: { class: 0, kind: 'softmax' },
    });
    expect(r.removed.morf).toEqual([5, 10, 15, 20].map((k) => k / 25));
  });

  it('defaults: threshold ties, p kept, sum over p, recorded in settings', async () => {
    const run = await setup();
    const cam = Array.from(seeded(25, 17, 0, 1));
    const t = { target: { class: 0, kind: 'softmax' as const }, noise: 0, tolerance: 1e-6 };
    const r = await road(run, cam, t);
    expect(r.settings).toMatchObject({ ties: 'threshold', percent: 'kept', combine: 'sum', percentiles: [20, 40, 60, 80] });
    // No ties: the threshold at virtual index 24·p/100 removes the pixels above it, 100 − p percent.
    expect(r.removed.morf).toEqual([20, 15, 10, 5].map((k) => k / 25));
    const mean = await road(run, cam, { ...t, combine: 'mean' });
    expect(mean.road).toBeCloseTo(r.road / 4, 6);
    await expect(road(run, cam, { ...t, ties: 'exact' as never })).rejects.toThrow(
      /ROAD ties 'exact' is not one of threshold, rank/,
    );
  });

  it('with noise, the same seed gives the same numbers', async () => {
    const run = await setup();
    const cam = Array.from(seeded(25, 17, 0, 1));
    const opts = { target: { class: 0, kind: 'softmax' as const }, noise: 0.05, seed: 3 };
    const [a, b] = [await road(run, cam, opts), await road(run, cam, opts)];
    expect(a).toEqual(b);
  });

  it('ybROAD scores every layer of a stack and names the best one', async () => {
    const run = await setup();
    const stack = await computeCams(run, { method: 'gradcam', target: { class: 0 }, layers: { names: ['a', 'r'] } });
    const yb = await ybroad(run, stack, { noise: 0 });
    expect(yb.series).toHaveLength(2);
    expect(yb.mean).toBeCloseTo((yb.series[0].road + yb.series[1].road) / 2, 6);
    expect(yb.max.value).toBe(Math.max(yb.series[0].road, yb.series[1].road));
    expect(['a', 'r']).toContain(yb.max.name);
  });

  it('refuses percentiles outside (0, 100), a constant CAM, and outputs that are not class scores', async () => {
    const run = await setup();
    const t = { target: { class: 0, kind: 'softmax' as const } };
    await expect(
      road(
        run,
        new Array(25).fill(0).map((_, i) => i),
        { ...t, percentiles: [0, 50] },
      ),
    ).rejects.toThrow(/outside \(0, 100\)/);
    await expect(road(run, new Array(25).fill(0.3), t)).rejects.toThrow(/constant/);
    const m2 = await loadModel(
      encodeModel({
        nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }],
        inputs: [{ name: 'x', dims: [1, 2, 5, 5] }],
        outputs: ['y'],
      }),
      { runtime: await testRuntime() },
    );
    const r2 = await m2.run({ data: x, shape: [1, 2, 5, 5] });
    await expect(road(r2, Array.from(seeded(25, 1)), t)).rejects.toThrow(/class scores/);
  });
});
