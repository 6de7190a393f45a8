import { describe, expect, it } from 'vitest';
import { maxRelError, random, singleOpModel } from './gpu.ts';
import { checkLinearOp } from './linear-op.ts';

/** Concatenation as numpy does it, for a data input and a constant second input. */
function concatRef(a: number[], b: { shape: number[]; data: ArrayLike<number> }, axis: number) {
  return (x: Float64Array) => {
    const shape = a.map((d, k) => (k === axis ? d + b.shape[k] : d));
    const parts = [{ data: x, shape: a }, b];
    const out = new Float64Array(shape.reduce((p, q) => p * q, 1));
    const outer = a.slice(0, axis).reduce((p, q) => p * q, 1);
    let pos = 0;
    for (let o = 0; o < outer; o++) {
      for (const p of parts) {
        const chunk = p.shape.slice(axis).reduce((q, r) => q * r, 1);
        for (let i = 0; i < chunk; i++) out[pos++] = p.data[o * chunk + i];
      }
    }
    return [{ data: out, shape }];
  };
}

describe('Concat: forward, VJP (each input its slab) and fold', () => {
  const a = [2, 3, 4];
  const x = { shape: a, data: random(24, 5) };
  for (const axis of [0, 1, 2, -1]) {
    it(`axis ${axis}`, () => {
      const ax = (axis + 3) % 3;
      const bShape = a.map((d, k) => (k === ax ? 2 : d));
      const b = {
        shape: bShape,
        data: random(
          bShape.reduce((p, q) => p * q, 1),
          9,
        ),
        constant: true,
      };
      return checkLinearOp({
        name: `axis ${axis}`,
        opType: 'Concat',
        inputs: [x, b],
        attrs: { axis },
        reference: concatRef(a, b, ax),
      });
    });
  }

  it('three run-time inputs, gradients to each', async () => {
    const shapes = [
      [1, 2, 3],
      [1, 1, 3],
      [1, 4, 3],
    ];
    const data = shapes.map((s, k) => random(s[1] * 3, 20 + k));
    const { model, feeds } = await singleOpModel(
      'Concat',
      shapes.map((shape, k) => ({ shape, data: data[k] })),
      { axis: 1 },
    );
    const run = await model.run(feeds);
    const y = await run.read('out0');
    expect(y.shape).toEqual([1, 7, 3]);
    expect(maxRelError(y.data, [...data[0], ...data[1], ...data[2]])).toBe(0);
    const w = random(21, 3);
    const grads = await run.backward(
      { describe: 'w·y', score: () => ({ value: 0, grad: w }) },
      { output: 'out0', layers: ['in0', 'in1', 'in2'] },
    );
    expect(Array.from((await grads.read('in0')).data)).toEqual(Array.from(w.slice(0, 6)));
    expect(Array.from((await grads.read('in1')).data)).toEqual(Array.from(w.slice(6, 9)));
    expect(Array.from((await grads.read('in2')).data)).toEqual(Array.from(w.slice(9)));
    grads.dispose();
    run.dispose();
    model.dispose();
  });
});
