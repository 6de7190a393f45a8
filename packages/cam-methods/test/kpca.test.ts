import { describe, expect, it } from 'vitest';
import { jacobiEigen, largestEigenpair } from '../src/lanczos.ts';
import { firstComponentProjection } from '../src/linalg.ts';
import { kernelProjection } from '../src/methods/kpcacam.ts';
import { seeded } from './gpu.ts';

/** A symmetric n×n matrix with a negative eigenvalue larger in magnitude than the top one. */
function indefinite(n: number): Float64Array {
  const r = seeded(n * n, 5, -1, 1);
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) m[i * n + j] = m[j * n + i] = r[i * n + j];
  for (let i = 0; i < n; i++) m[i * n + i] -= 3 * Math.sqrt(n);
  m[0] += 4 * Math.sqrt(n);
  return m;
}

describe('eigen solvers', () => {
  it('Jacobi: A·v = λ·v for every pair', () => {
    const n = 7;
    const m = indefinite(n);
    const { values, vectors } = jacobiEigen(m, n);
    values.forEach((l, k) => {
      for (let i = 0; i < n; i++) {
        let av = 0;
        for (let j = 0; j < n; j++) av += m[i * n + j] * vectors[k * n + j];
        expect(av).toBeCloseTo(l * vectors[k * n + i], 10);
      }
    });
  });
  it('Lanczos finds the largest algebraic eigenvalue (not the largest magnitude) of a 300×300 matrix', () => {
    const n = 300;
    const m = indefinite(n);
    const { value, vector } = largestEigenpair(m, n);
    const all = jacobiEigen(m, n).values;
    expect(Math.min(...all)).toBeLessThan(-Math.abs(Math.max(...all)));
    expect(value).toBeCloseTo(Math.max(...all), 8);
    for (let i = 0; i < n; i += 37) {
      let av = 0;
      for (let j = 0; j < n; j++) av += m[i * n + j] * vector[j];
      expect(av).toBeCloseTo(value * vector[i], 8);
    }
  });
});

describe('KPCA-CAM projection', () => {
  it('with the linear kernel equals Eigen-CAM up to sign', () => {
    const [c, hw] = [12, 40];
    const data = seeded(c * hw, 9, 0, 2);
    const kpca = kernelProjection(data, c, hw, 'linear', 1);
    const eigen = firstComponentProjection(data, c, hw);
    const sign = Math.sign(kpca[0] * eigen[0]);
    const scale = Math.max(...eigen.map(Math.abs));
    // Both through lanczos.ts: only float32 rounding of the two maps apart (gap 3%).
    kpca.forEach((v, p) => expect(Math.abs(v - sign * eigen[p]) / scale).toBeLessThan(1e-6));
  });
  it("signs the map so that its largest-magnitude entry is positive (sklearn's svd_flip)", () => {
    const [c, hw] = [8, 30];
    const map = kernelProjection(seeded(c * hw, 4, -1, 1), c, hw, 'sigmoid', 1 / c);
    const peak = map.reduce((best, v) => (Math.abs(v) > Math.abs(best) ? v : best), 0);
    expect(peak).toBeGreaterThan(0);
  });
});
