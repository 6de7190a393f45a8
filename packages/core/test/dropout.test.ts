/**
 * Dropout at inference: the identity, also in training mode with ratio 0 (torch's export of
 * torchvision Swin's attention dropout); in training mode with a ratio above 0 (default 0.5)
 * it drops random elements, and is refused at plan time naming the node and the fix.
 */
import { describe, expect, it } from 'vitest';
import { random, singleOpModel } from './gpu.ts';

const x = { shape: [2, 3], data: random(6, 4) };
const scalar = (v: number, dtype: 'float32' | 'bool') => ({ shape: [], data: [v], constant: true, dtype });

describe('Dropout', () => {
  it('is the identity in training mode with ratio 0', async () => {
    const { model, feeds } = await singleOpModel('Dropout', [x, scalar(0, 'float32'), scalar(1, 'bool')]);
    const run = await model.run(feeds.in0);
    expect(Array.from((await run.read('out0')).data)).toEqual(Array.from(feeds.in0.data));
    run.dispose();
    model.dispose();
  });

  const omitted = { name: '', shape: [], data: [], constant: true };
  for (const [what, ratio] of [
    ['ratio 0.5', scalar(0.5, 'float32')],
    ['the default ratio', omitted],
  ] as const) {
    it(`is refused in training mode with ${what}, naming the node and model.eval()`, async () => {
      const { model } = await singleOpModel('Dropout', [x, ratio, scalar(1, 'bool')]);
      expect(() => model.planFor(new Map([['in0', x.shape]]))).toThrow(
        /training mode with ratio 0\.5[\s\S]*node 'Dropout_node'[\s\S]*model\.eval\(\)/,
      );
      model.dispose();
    });
  }
});
