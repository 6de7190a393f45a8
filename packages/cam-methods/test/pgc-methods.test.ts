/**
 * The host pieces of FEM's, FinerCAM's, the LayerCAM fusion's and DFF's definitions (their whole
 * maps are checked against pytorch-grad-cam in test/parity/cams-pgc.test.ts): numpy's RandomState
 * normals, sklearn's NMF on a small matrix, FinerWeightedTarget's gradient against central
 * differences, and the paper's max fusion against its formula.
 */
import { describe, expect, it } from 'vitest';
import { finerTarget, fuseStack, nmf, scaleCamImage, type CamStack } from '../src/index.ts';
import { NumpyRandomState } from '../src/numpy-random.ts';
import { resizeHalfPixel } from '../src/resize.ts';

describe('numpy RandomState(0).standard_normal', () => {
  it("gives numpy's numbers", () => {
    const rng = new NumpyRandomState(0);
    const got = Array.from({ length: 5 }, () => rng.standardNormal());
    // /usr/bin/python3 -c "import numpy as np; print(np.random.RandomState(0).standard_normal(5).tolist())"
    const want = [1.764052345967664, 0.4001572083672233, 0.9787379841057392, 2.240893199201458, 1.8675579901499675];
    got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(1e-15)); // measured: 0, equal to the bit
  });
});

describe('nmf', () => {
  // sklearn 1.2.1: NMF(n_components=3, init='random', random_state=0).fit_transform(x) on x [6, 8] =
  // round(|RandomState(3).standard_normal((6, 8))|, 6); 159 iterations; W and H rounded to 1e-12.
  const ref = {
    x: [
      1.788628, 0.43651, 0.096497, 1.863493, 0.277388, 0.354759, 0.082741, 0.627001, 0.043818, 0.477218, 1.313865, 0.884622,
      0.881318, 1.709573, 0.050034, 0.404677, 0.54536, 1.546477, 0.982367, 1.101068, 1.185047, 0.20565, 1.486148, 0.236716,
      1.023785, 0.712993, 0.625245, 0.160513, 0.768836, 0.230031, 0.745056, 1.976111, 1.244123, 0.626417, 0.803766, 2.419083,
      0.923792, 1.023876, 1.123978, 0.131914, 1.623285, 0.646675, 0.356271, 1.743141, 0.59665, 0.588594, 0.873882, 0.029714,
    ],
    w: [
      1.009936639692, 0.0, 0.173937113482, 0.0, 1.28867786569, 0.0, 0.206835159505, 0.919822854433, 0.433879116771, 0.0,
      0.003941198401, 1.084969998865, 0.905947800288, 0.956067217608, 0.0, 0.907071550748, 0.419218584979, 0.077514756113,
    ],
    h: [
      1.558104594376, 0.286960293611, 0.0, 1.774179992473, 0.206478615521, 0.195440401725, 0.431196008761, 0.097098549361, 0.0,
      0.589296333366, 0.912946295865, 0.718801659481, 0.762313219623, 0.928107012672, 0.526859907539, 0.00662698865,
      0.899816701123, 0.868548510194, 0.535845968225, 0.144261582992, 0.742858453618, 0.0, 0.828226304882, 1.657021289489,
    ],
  };
  it("equals sklearn's NMF (init random, cd solver) on a small matrix", () => {
    const f = nmf(Float64Array.from(ref.x), 6, 8, 3);
    expect(f.iterations).toBe(159);
    // measured worst 4.9e-13 (the reference is rounded to 1e-12)
    f.w.forEach((v, i) => expect(Math.abs(v - ref.w[i])).toBeLessThanOrEqual(1e-10));
    f.h.forEach((v, i) => expect(Math.abs(v - ref.h[i])).toBeLessThanOrEqual(1e-10));
  });
});

describe('finerTarget', () => {
  const row = Float32Array.from([0.3, 2.1, -0.4, 1.9, 2.6, 0.8, 2.0]);
  const direct = (z: ArrayLike<number>, m: number, ks: number[], alpha: number) => {
    const e = Array.from(z, (v) => Math.exp(v));
    const s = e.reduce((a, b) => a + b, 0);
    const p = e.map((v) => v / s);
    const num = ks.reduce((a, k) => a + p[k] * (z[m] - alpha * z[k]), 0);
    return num / (ks.reduce((a, k) => a + p[k], 0) + 1e-9);
  };
  it('compares with the classes nearest to the chosen logit, weighted by their probabilities', () => {
    // Nearest to z_1 = 2.1: 2.0 (class 6), 1.9 (class 3), 2.6 (class 4).
    expect(finerTarget(1).score(row).value).toBeCloseTo(direct(row, 1, [6, 3, 4], 1), 12);
    expect(finerTarget(1, { alpha: 0.5, comparison: [1] }).score(row).value).toBeCloseTo(direct(row, 1, [6], 0.5), 12);
  });
  it('has the gradient of its value, the probabilities differentiated too', () => {
    const t = finerTarget(1, { alpha: 0.7 });
    const { grad } = t.score(row);
    const z = Array.from(row);
    const h = 1e-6;
    let worst = 0;
    for (let j = 0; j < z.length; j++) {
      const up = z.map((v, i) => (i === j ? v + h : v));
      const down = z.map((v, i) => (i === j ? v - h : v));
      worst = Math.max(worst, Math.abs((direct(up, 1, [6, 3, 4], 0.7) - direct(down, 1, [6, 3, 4], 0.7)) / (2 * h) - grad[j]));
    }
    expect(worst).toBeLessThanOrEqual(1e-7); // measured 1.5e-8 (float32 gradient, 1e-6 steps)
  });
});

describe('fuseStack', () => {
  const layer = (name: string, h: number, w: number, seed: number) => ({
    index: seed,
    name,
    opType: 'Relu',
    shape: [1, 2, h, w] as [number, number, number, number],
    raw: Float32Array.from({ length: h * w }, (_, i) => Math.sin(seed * 3.1 + i * 1.7)),
    upsampled: new Float32Array(64),
  });
  const stack: CamStack = {
    method: 'layercam',
    target: { class: 0 },
    scores: [1],
    inputShape: [1, 3, 8, 8],
    layers: [layer('a', 4, 4, 1), layer('b', 2, 2, 2)],
  };
  const scaled = (l: CamStack['layers'][number]) => scaleCamImage(l.raw.map((v) => Math.max(v, 0)));
  it("max: the paper's tanh(2·scaled map), resized, element-wise max of the layers so far", () => {
    const fused = fuseStack(stack, 'max');
    const ups = stack.layers.map((l) =>
      resizeHalfPixel(
        scaled(l).map((v) => Math.tanh(2 * v)),
        l.shape[2],
        l.shape[3],
        8,
        8,
      ),
    );
    expect(fused.layers[0].shape).toEqual([1, 2, 8, 8]);
    fused.layers[0].raw.forEach((v, p) => expect(v).toBeCloseTo(ups[0][p], 6));
    fused.layers[1].raw.forEach((v, p) => expect(v).toBeCloseTo(Math.max(ups[0][p], ups[1][p]), 6));
  });
  it("mean: pytorch-grad-cam's scale of the mean of the resized scaled maps", () => {
    const fused = fuseStack(stack, 'mean');
    const ups = stack.layers.map((l) => resizeHalfPixel(scaled(l), l.shape[2], l.shape[3], 8, 8));
    const want = scaleCamImage(ups[0].map((v, p) => (v + ups[1][p]) / 2));
    fused.layers[1].raw.forEach((v, p) => expect(v).toBeCloseTo(want[p], 6));
    expect(fused.layers[1].upsampled).toBe(fused.layers[1].raw);
  });
});
