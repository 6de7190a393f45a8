/**
 * Model.withInitializers: the same graph with some weights replaced runs as onnxruntime runs the
 * node with those weights, while the original model keeps its own (each has its own plans and GPU
 * constants); a name that is not an initializer, or a shape change, is refused.
 */
import { describe, expect, it } from 'vitest';
import { maxRelError, random, singleOpModel } from './gpu.ts';
import { ortNode } from './ort-node.ts';

const x = { shape: [1, 3, 8, 8], data: random(192, 1) };
const w = { shape: [4, 3, 3, 3], data: random(108, 2) };
const b = { shape: [4], data: random(4, 3) };
const attrs = { pads: [1, 1, 1, 1] };

describe('Model.withInitializers', () => {
  it('runs with the replaced weights; the original keeps its own (measured 4.6e-7 relative)', async () => {
    const { model, feeds } = await singleOpModel(
      'Conv',
      [
        { name: 'x', ...x },
        { name: 'w', ...w, constant: true },
        { name: 'b', ...b, constant: true },
      ],
      attrs,
    );
    const w2 = random(108, 9);
    const before = await (await model.run(feeds)).read('out0');
    const swapped = model.withInitializers(new Map([['w', { dtype: 'float32' as const, shape: w.shape, data: w2 }]]));
    const got = await (await swapped.run(feeds)).read('out0');
    const want = await ortNode('Conv', [x, { shape: w.shape, data: w2 }, b], attrs, 17);
    const orig = await ortNode('Conv', [x, w, b], attrs, 17);
    expect(maxRelError(got.data, want.data)).toBeLessThan(2e-6);
    expect(maxRelError(got.data, orig.data)).toBeGreaterThan(0.1);
    const after = await (await model.run(feeds)).read('out0');
    expect(maxRelError(after.data, orig.data)).toBeLessThan(1e-5);
    expect(Array.from(after.data)).toEqual(Array.from(before.data));
    swapped.dispose();
    model.dispose();
  });

  it('refuses an unknown name and a shape change, naming the tensor', async () => {
    const { model } = await singleOpModel(
      'Conv',
      [
        { name: 'x', ...x },
        { name: 'w', ...w, constant: true },
      ],
      attrs,
    );
    const t = { dtype: 'float32' as const, shape: [4, 3, 3, 3], data: new Float32Array(108) };
    expect(() => model.withInitializers(new Map([['x', t]]))).toThrow(/'x' is not an initializer/);
    expect(() => model.withInitializers(new Map([['w', { ...t, shape: [4, 27], data: new Float32Array(108) }]]))).toThrow(
      /'w' is \[4, 3, 3, 3\]; its replacement is \[4, 27\]/,
    );
    model.dispose();
  });
});
