/**
 * Host linear algebra for the Eigen methods: the first principal component projection of a
 * layer ([C, HW] per image, positions as samples, channels centred), as pytorch-grad-cam's
 * get_2d_projection computes with an SVD. We find the top eigenvector of the smaller Gram
 * matrix in float64 with lanczos.ts (power iteration stopped on the eigenvalue's change left the
 * vector ~1e-5 off when the top two eigenvalues are within a few %); the projection X·v equals
 * σ·u either way.
 */
import { largestEigenpair, normalize } from './lanczos.ts';

/** First-component projection of each image of a [N, C, H, W] batch. */
export function projectEach(data: Float32Array, [n, c, h, w]: readonly number[]): Float32Array {
  const hw = h * w;
  const out = new Float32Array(n * hw);
  for (let b = 0; b < n; b++) out.set(firstComponentProjection(data.subarray(b * c * hw, (b + 1) * c * hw), c, hw), b * hw);
  return out;
}

/**
 * Projection of the centred [hw × c] data onto its first principal axis, with a deterministic
 * sign: the one whose principal axis has a non-negative channel sum (so the map correlates
 * positively with the mean activation), since an SVD's sign is arbitrary.
 */
export function firstComponentProjection(data: Float32Array, c: number, hw: number): Float32Array {
  const x = centredRows(data, c, hw);
  // Gram matrices are positive semi-definite: the largest eigenvalue is the largest in magnitude.
  let v: Float64Array;
  if (c <= hw) {
    v = largestEigenpair(gram(x, hw, c, 'cols'), c).vector;
  } else {
    // v ∝ Xᵀu for the top eigenvector u of X·Xᵀ.
    const u = largestEigenpair(gram(x, hw, c, 'rows'), hw).vector;
    v = new Float64Array(c);
    for (let p = 0; p < hw; p++) for (let ch = 0; ch < c; ch++) v[ch] += x[p * c + ch] * u[p];
    normalize(v);
  }
  let sum = 0;
  for (const e of v) sum += e;
  const sign = sum < 0 ? -1 : 1;
  const out = new Float32Array(hw);
  for (let p = 0; p < hw; p++) {
    let acc = 0;
    for (let ch = 0; ch < c; ch++) acc += x[p * c + ch] * v[ch];
    out[p] = sign * acc;
  }
  return out;
}

/** [C, HW] channel-major data as row-major [HW, C] rows (positions), each channel centred; NaN and ±∞ read as 0. */
export function centredRows(data: Float32Array, c: number, hw: number): Float64Array {
  const x = new Float64Array(hw * c);
  for (let ch = 0; ch < c; ch++) {
    let mean = 0;
    for (let p = 0; p < hw; p++) mean += finite(data[ch * hw + p]);
    mean /= hw;
    for (let p = 0; p < hw; p++) x[p * c + ch] = finite(data[ch * hw + p]) - mean;
  }
  return x;
}

function finite(v: number): number {
  return Number.isFinite(v) ? v : 0;
}

/** XᵀX ('cols', c×c) or XXᵀ ('rows', hw×hw) of row-major x [hw, c]. */
export function gram(x: Float64Array, hw: number, c: number, which: 'cols' | 'rows'): Float64Array {
  const n = which === 'cols' ? c : hw;
  const g = new Float64Array(n * n);
  if (which === 'cols') {
    for (let p = 0; p < hw; p++) {
      const row = p * c;
      for (let i = 0; i < c; i++) {
        const xi = x[row + i];
        if (xi === 0) continue;
        for (let j = i; j < c; j++) g[i * c + j] += xi * x[row + j];
      }
    }
  } else {
    for (let i = 0; i < hw; i++)
      for (let j = i; j < hw; j++) {
        let acc = 0;
        for (let k = 0; k < c; k++) acc += x[i * c + k] * x[j * c + k];
        g[i * hw + j] = acc;
      }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) g[i * n + j] = g[j * n + i];
  return g;
}
