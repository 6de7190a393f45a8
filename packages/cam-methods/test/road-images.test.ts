/**
 * ybROAD of several images at once (ybroadImages, what `camanim eval` scores a batch with): the
 * perturbed images of every image and layer share the fixed-size forwards, and each image's
 * numbers are exactly what ybroad gives it alone, in fewer forwards; a constant CAM fails only
 * its image. The bundled fashion-canvas model on three batch items.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { CamanimError, loadModel, type Run } from '@camanim/core';
import { computeCams, ybroad, ybroadImages, type CamStack, type YbRoadOptions } from '../src/index.ts';
import { metricsFixture } from './metrics-fixture.ts';
import { testRuntime } from './gpu.ts';

const { fx, cams } = metricsFixture();
const LAYER = '/stages.3/stages.3.0/relu2/Relu_output_0';

/** Three items: the fixture's input, its mirror image and a darker copy, each with its own class. */
async function setup() {
  const model = await loadModel(new URL('../../cli/assets/fashion-canvas.onnx', import.meta.url).pathname, {
    runtime: await testRuntime(),
  });
  const [, c, h, w] = fx.inputShape;
  const one = cams.slice(0, c * h * w);
  const mirror = one.map((_, i) => one[i - (i % w) + (w - 1 - (i % w))]);
  const data = Float32Array.from([...one, ...mirror, ...one.map((v) => 0.7 * v)]);
  const run = await model.run({ data, shape: [3, c, h, w] });
  const classes = [fx.class, fx.class, (fx.class + 3) % 10];
  const stack = await computeCams(run, { method: 'gradcam', target: classes.map((k) => ({ class: k })), layers: [LAYER] });
  return { run, stack };
}

/** Calls of onProgress: one per batched forward. */
function counted(opts: YbRoadOptions) {
  const c = { forwards: 0, opts: { ...opts, onProgress: () => c.forwards++ } };
  return c;
}

describe('ybROAD of several images in the same forwards', () => {
  let run: Run;
  let stack: CamStack;
  beforeAll(async () => ({ run, stack } = await setup()), 120_000);

  it('equals each image scored alone, exactly (with noise), in fewer forwards', async () => {
    // Batches of 6 (16 by default) so that both chunks hold two images' perturbed images.
    const opts: YbRoadOptions = { percentiles: [30, 70], noise: 0.01, seed: 4, batch: 6 };
    const alone = counted(opts);
    const each = [];
    for (const item of [0, 1, 2]) each.push(await ybroad(run, stack, { ...alone.opts, item }));
    const together = counted(opts);
    const all = await ybroadImages(
      run,
      [0, 1, 2].map((item) => ({ stack, item })),
      together.opts,
    );
    expect(all).toEqual(each);
    // 4 perturbed images per image (1 layer × 2 percentiles × MoRF/LeRF): 3 forwards of 4 alone,
    // 12 in 2 forwards of 6 together.
    expect(alone.forwards).toBe(3);
    expect(together.forwards).toBe(2);
    expect(new Set(each.map((y) => y.series[0].road)).size).toBe(3);
  }, 300_000);

  it('a constant CAM fails only its image', async () => {
    const [l] = stack.layers;
    const per = l.raw.length / 3;
    const raw = Float32Array.from(l.raw, (v, i) => (i >= per && i < 2 * per ? 0.5 : v));
    const flat: CamStack = { ...stack, layers: [{ ...l, raw }] };
    const opts: YbRoadOptions = { percentiles: [30, 70], batch: 6 };
    const all = await ybroadImages(
      run,
      [0, 1, 2].map((item) => ({ stack: flat, item })),
      opts,
    );
    expect(all[1]).toBeInstanceOf(CamanimError);
    expect((all[1] as CamanimError).code).toBe('bad-input');
    await expect(ybroad(run, flat, { ...opts, item: 1 })).rejects.toThrow(/constant/);
    expect(all[0]).toEqual(await ybroad(run, flat, { ...opts, item: 0 }));
    expect(all[2]).toEqual(await ybroad(run, flat, { ...opts, item: 2 }));
  }, 300_000);
});
