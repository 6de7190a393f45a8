/**
 * Floor, Ceil, Round (half to even), Sign and Mod (fmod=0: the divisor's sign, fmod=1: the
 * dividend's) on the GPU and folded on the host, their VJPs, and the ONNX backend cases.
 */
import { describe, expect, it } from 'vitest';
import { backendCases } from './backend-cases.ts';
import { random, singleOpModel } from './gpu.ts';
import { gradCheck } from './gradcheck.ts';
import { analyticVjp } from './vjp.ts';

// Halves (where Round's tie rule shows), integers, signed zero's neighbours and plain values.
const halves = [-3.5, -2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5];
const x = Float32Array.from([...halves, -2, 0, 3, -0.49999997, 0.50000006, ...random(17, 2, -6, 6)]);

// numpy's floor / ceil / rint (half to even) / sign, which the spec's reference implementation calls.
const rint = (v: number) => {
  const f = Math.floor(v);
  const d = v - f;
  return d < 0.5 ? f : d > 0.5 ? f + 1 : f % 2 === 0 ? f : f + 1;
};
const SPEC: Record<string, (v: number) => number> = { Floor: Math.floor, Ceil: Math.ceil, Round: rint, Sign: Math.sign };

describe('step functions on the GPU and folded', () => {
  for (const [op, f] of Object.entries(SPEC)) {
    it(op, async () => {
      const want = Array.from(x, f).map((v) => v + 0); // -0 → 0: the GPU's zeros compare equal either way
      const gpu = await singleOpModel(op, [{ shape: [5, 6], data: x }]);
      const y = await (await gpu.model.run(gpu.feeds)).read('out0');
      expect(Array.from(y.data, (v) => v + 0)).toEqual(want);
      gpu.model.dispose();
      const folded = await singleOpModel(op, [{ shape: [5, 6], data: x, constant: true }]);
      const c = folded.model.planFor(new Map()).inferred.consts.get('out0')!;
      expect(Array.from(c.data, (v) => v + 0)).toEqual(want);
      folded.model.dispose();
    });
  }
  it('Round ties go to the even neighbour', async () => {
    const { model, feeds } = await singleOpModel('Round', [{ shape: [8], data: halves }]);
    expect(Array.from((await (await model.run(feeds)).read('out0')).data, (v) => v + 0)).toEqual([-4, -2, -2, 0, 0, 2, 2, 4]);
    model.dispose();
  });
  it('VJPs are zero', async () => {
    for (const op of Object.keys(SPEC)) {
      const [dx] = await analyticVjp(op, [{ shape: [5, 6], data: x }], {}, random(30, 3), [0]);
      expect(Array.from(dx), op).toEqual(new Array(30).fill(0));
    }
  });
});

// C's fmod (the spec's fmod=1, numpy.fmod): JS's % on the float32 values, exact in float64.
const fmod = (a: number, b: number) => a % b;

describe('Mod', () => {
  // Quotients up to ~1e5, where a / b in float32 rounds across integers unless corrected.
  const a = Float32Array.from(random(64, 5, -1000, 1000));
  const b = Float32Array.from(random(8, 6, 0.01, 3), (v, k) => (k % 2 ? -v : v));
  it("fmod=1: the dividend's sign, [8,8] broadcast against [8]", async () => {
    const { model, feeds } = await singleOpModel(
      'Mod',
      [
        { shape: [8, 8], data: a },
        { shape: [8], data: b },
      ],
      { fmod: 1 },
    );
    const y = await (await model.run(feeds)).read('out0');
    let worst = 0;
    y.data.forEach((v, i) => {
      const want = fmod(a[i], b[i % 8]);
      worst = Math.max(worst, Math.abs(v - want) / Math.abs(b[i % 8]));
      expect(v === 0 || Math.sign(v) === Math.sign(a[i]), `sign at ${i}`).toBe(true);
    });
    // Long division makes the remainder exact, as C's fmod (a - b·trunc(a/b) was off by 1.7e-3·|b| here).
    expect(worst).toBe(0);
    model.dispose();
  });
  it("fmod=0 on int64 constants: the divisor's sign (the spec example), folded", async () => {
    const { model } = await singleOpModel('Mod', [
      { shape: [6], data: [-4, 7, 5, 4, -7, 8], constant: true, dtype: 'int64' },
      { shape: [6], data: [2, -3, 8, -2, 3, 5], constant: true, dtype: 'int64' },
    ]);
    const c = model.planFor(new Map()).inferred.consts.get('out0')!;
    expect(c.dtype).toBe('int64');
    expect(Array.from(c.data, (v) => v + 0)).toEqual([0, -2, 5, 0, 2, 3]);
    model.dispose();
  });
  it('fmod=0 on float tensors is refused at load time, as the spec requires', async () => {
    const { model, feeds } = await singleOpModel('Mod', [
      { shape: [2], data: [1, 2] },
      { shape: [2], data: [3, 4] },
    ]);
    await expect(model.run(feeds)).rejects.toThrow(/node 'Mod_node', op 'Mod'.*fmod=1/s);
    model.dispose();
  });
  it('VJP: dA = dY, dB = -trunc(A / B)·dY, against finite differences and exactly', async () => {
    // Away from the jumps at multiples of B, where finite differences are undefined.
    const aa = Float32Array.from({ length: 12 }, (_, i) => (i % 2 ? -1 : 1) * (1.3 + i * 0.77));
    const bb = Float32Array.from([0.9, -1.7, 2.3]);
    const worst = await gradCheck(
      'Mod',
      [
        { shape: [4, 3], data: aa },
        { shape: [3], data: bb },
      ],
      { fmod: 1 },
      { eps: 1e-3, samples: 12 },
    );
    // Float32 forwards with eps 1e-3: measured worst 3.3e-4.
    expect(worst).toBeLessThan(1e-3);
    const w = random(12, 8);
    const [da, db] = await analyticVjp(
      'Mod',
      [
        { shape: [4, 3], data: aa },
        { shape: [3], data: bb },
      ],
      { fmod: 1 },
      w,
      [0, 1],
    );
    expect(Array.from(da)).toEqual(Array.from(w));
    const wantDb = [0, 0, 0];
    aa.forEach((v, i) => (wantDb[i % 3] -= Math.trunc(v / bb[i % 3]) * w[i]));
    // Float32 products summed over 4 rows: measured worst 4.2e-7.
    db.forEach((v, k) => expect(Math.abs(v - wantDb[k])).toBeLessThan(2e-6));
  });
});

describe('ONNX backend cases', () => backendCases(/^test_(floor|ceil|round|sign|mod)/));
