import { describe, expect, it } from 'vitest';
import { hostTensor } from '../src/graph/ir.ts';
import { singleOpModel } from './gpu.ts';

describe('ConstantOfShape folds on the host', () => {
  it('default value is float32 zeros', async () => {
    const { model } = await singleOpModel('ConstantOfShape', [{ shape: [2], data: [2, 3], constant: true, dtype: 'int64' }]);
    const run = await model.run({});
    const y = await run.read('out0');
    expect(y.shape).toEqual([2, 3]);
    expect(Array.from(y.data)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(model.planFor(new Map()).inferred.nodes.length).toBe(0);
    run.dispose();
    model.dispose();
  });

  it('value attribute sets the dtype and fill; an empty shape gives a scalar', async () => {
    const { model } = await singleOpModel('ConstantOfShape', [{ shape: [0], data: [], constant: true, dtype: 'int64' }], {
      value: hostTensor('int64', [1], [7]),
    });
    const t = model.planFor(new Map()).inferred.consts.get('out0')!;
    expect(t.dtype).toBe('int64');
    expect(t.shape).toEqual([]);
    expect(Array.from(t.data)).toEqual([7]);
    model.dispose();
  });
});
