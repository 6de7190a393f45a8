import { describe, expect, it } from 'vitest';
import { loadModel } from '@camanim/core';
import { encodeModel } from '../../core/test/onnx-builder.ts';
import { computeCams } from '../src/index.ts';
import { seeded, testRuntime } from './gpu.ts';

/** x [1,3,6,5] → Relu → a → spatial mean → y [1, 3]. */
async function tinyRun() {
  const bytes = encodeModel({
    nodes: [
      { op: 'Relu', inputs: ['x'], outputs: ['a'] },
      { op: 'ReduceMean', inputs: ['a'], outputs: ['y'], attrs: { axes: [2, 3], keepdims: 0 } },
    ],
    inputs: [{ name: 'x', dims: [1, 3, 6, 5] }],
    outputs: ['y'],
    initializers: [],
    opset: 13,
  });
  const model = await loadModel(bytes, { runtime: await testRuntime() });
  return { model, run: await model.run({ data: seeded(90, 2, -1, 1), shape: [1, 3, 6, 5] }) };
}

describe('eigen smoothing, augmentation smoothing and KPCA options', () => {
  it('eigen smoothing of a method that computes its own map is a clear error', async () => {
    const { model, run } = await tinyRun();
    await expect(
      computeCams(run, { method: 'eigencam', eigenSmooth: true, target: { class: 0 }, layers: { names: ['a'] } }),
    ).rejects.toThrow(/Eigen smoothing does not apply to CAM method 'eigencam'/);
    model.dispose();
  });
  it('an unknown KPCA kernel or a bad gamma names the option', async () => {
    const { model, run } = await tinyRun();
    const cams = (options: Record<string, unknown>) =>
      computeCams(run, { method: 'kpcacam', options, target: { class: 0 }, layers: { names: ['a'] } });
    await expect(cams({ kernel: 'cosine' })).rejects.toThrow(/kernel 'cosine' is not one of sigmoid, poly, linear, rbf/);
    await expect(cams({ gamma: -1 })).rejects.toThrow(/gamma must be a positive number/);
    model.dispose();
  });
  it('augmentation smoothing keeps the unaugmented score and gives maps in [0, 1]', async () => {
    const { model, run } = await tinyRun();
    const stack = await computeCams(run, { method: 'gradcam', augSmooth: true, target: { class: 1 }, layers: { names: ['a'] } });
    expect(stack.scores[0]).toBeCloseTo((await run.read('y')).data[1], 5);
    const [layer] = stack.layers;
    expect(layer.shape).toEqual([1, 3, 6, 5]);
    expect(Math.min(...layer.raw)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...layer.upsampled)).toBeLessThanOrEqual(1);
    model.dispose();
  });
  it('augmentation smoothing takes layers as names or as LayerInfo, like any computeCams call', async () => {
    const { model, run } = await tinyRun();
    const bySelection = await computeCams(run, {
      method: 'gradcam',
      augSmooth: true,
      target: { class: 1 },
      layers: { names: ['a'] },
    });
    const byName = await computeCams(run, { method: 'gradcam', augSmooth: true, target: { class: 1 }, layers: ['a'] });
    const byInfo = await computeCams(run, {
      method: 'gradcam',
      augSmooth: true,
      target: { class: 1 },
      layers: bySelection.layers,
    });
    for (const stack of [byName, byInfo]) {
      expect(stack.layers[0].shape).toEqual([1, 3, 6, 5]);
      expect(stack.layers[0].upsampled).toEqual(bySelection.layers[0].upsampled);
    }
    model.dispose();
  });
});
