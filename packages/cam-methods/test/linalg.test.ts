/**
 * The Eigen methods' first-component projection on data built from known singular vectors
 * (Hadamard rows, exact in float32) whose top two singular values are 1 and 255/256: the top two
 * eigenvalues of the Gram matrix are 0.8% apart, where stopping on the eigenvalue's change
 * leaves the vector ~1e-5 off.
 */
import { describe, expect, it } from 'vitest';
import { firstComponentProjection } from '../src/linalg.ts';

const SINGULAR = [1, 255 / 256, 0.75, 0.5, 0.375, 0.25, 0.125, 0.0625];

/** Row i of the Sylvester Hadamard matrix of size n (a power of 2): (−1)^popcount(i & j). */
function hadamardRow(i: number, n: number): number[] {
  return Array.from({ length: n }, (_, j) => {
    let bits = i & j;
    let sign = 1;
    for (; bits; bits &= bits - 1) sign = -sign;
    return sign;
  });
}

/**
 * [C, HW] data X = Σ_k s_k·h_k·g_kᵀ (positions × channels): h_k Hadamard rows 1.. (zero mean, so
 * centring keeps X), g_k Hadamard rows 0.. with channel signs flipped so that their sums differ
 * from 0. Returns the data and the exact projection X·v1 = s_1·√C·h_1 signed by Σ v1 ≥ 0.
 */
function knownComponents(c: number, hw: number): { data: Float32Array; want: number[] } {
  const flip = Array.from({ length: c }, (_, ch) => (ch % 3 === 1 ? -1 : 1));
  const h = SINGULAR.map((_, k) => hadamardRow(k + 1, hw));
  const g = SINGULAR.map((_, k) => hadamardRow(k, c).map((v, ch) => v * flip[ch]));
  const data = new Float32Array(c * hw);
  for (let ch = 0; ch < c; ch++)
    for (let p = 0; p < hw; p++) {
      data[ch * hw + p] = SINGULAR.reduce((acc, s, k) => acc + s * h[k][p] * g[k][ch], 0);
    }
  const sign = Math.sign(g[0].reduce((a, b) => a + b, 0));
  expect(sign).not.toBe(0);
  return { data, want: h[0].map((v) => sign * SINGULAR[0] * Math.sqrt(c) * v) };
}

describe('first principal component projection', () => {
  it.each([
    ['fewer channels than positions (C×C Gram)', 32, 64],
    ['more channels than positions (HW×HW Gram)', 64, 32],
  ])('matches the exact projection to 1e-6 with the top two eigenvalues 0.8%% apart: %s', (_, c, hw) => {
    const { data, want } = knownComponents(c, hw);
    const got = firstComponentProjection(data, c, hw);
    const scale = Math.max(...want.map(Math.abs));
    want.forEach((v, p) => expect(Math.abs(got[p] - v) / scale, `position ${p}`).toBeLessThan(1e-6));
  });
});
