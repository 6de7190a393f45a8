import { describe, it } from 'vitest';
import { random } from './gpu.ts';
import { checkLinearOp, strides } from './linear-op.ts';

/** numpy.transpose(x, perm). */
function transposeRef(shape: number[], perm: number[]) {
  return (x: Float64Array) => {
    const out = perm.map((p) => shape[p]);
    const st = strides(shape);
    const n = x.length;
    const data = new Float64Array(n);
    const c = out.map(() => 0);
    for (let i = 0; i < n; i++) {
      data[i] = x[c.reduce((s, v, k) => s + v * st[perm[k]], 0)];
      for (let k = out.length - 1; k >= 0 && ++c[k] >= out[k]; k--) c[k] = 0;
    }
    return [{ data, shape: out }];
  };
}

describe('Transpose: forward, VJP (inverse permutation) and fold', () => {
  const shape = [2, 3, 4, 5];
  const x = { shape, data: random(120, 2) };
  for (const perm of [
    [0, 2, 3, 1],
    [3, 1, 0, 2],
    [0, 1, 2, 3],
  ]) {
    it(`perm ${perm}`, () =>
      checkLinearOp({
        name: `perm ${perm}`,
        opType: 'Transpose',
        inputs: [x],
        attrs: { perm },
        reference: transposeRef(shape, perm),
      }));
  }
  it('default reverses the axes', () =>
    checkLinearOp({ name: 'default', opType: 'Transpose', inputs: [x], reference: transposeRef(shape, [3, 2, 1, 0]) }));
});
