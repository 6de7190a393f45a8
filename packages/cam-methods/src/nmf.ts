/**
 * Non-negative matrix factorization X ≈ W·H (X [m, n] ≥ 0, W [m, K], H [K, n]) in float64, as
 * sklearn's NMF with the settings pytorch-grad-cam's Deep Feature Factorization uses
 * (NMF(n_components=K, init='random', random_state=0), so sklearn's defaults for the rest):
 * - init 'random': avg = √(mean(X)/K); H = |avg·N(0,1)| [K, n] then W = |avg·N(0,1)| [m, K], drawn in
 *   that order from numpy's RandomState(seed) (numpy-random.ts);
 * - solver 'cd' (coordinate descent, sklearn's _update_cdnmf_fast), Frobenius loss, no
 *   regularisation, no shuffling: each iteration updates W then H, one component at a time;
 * - stops after max_iter = 200 iterations or once the summed projected-gradient violation falls
 *   to tol = 1e-4 of the first iteration's.
 */
import { NumpyRandomState } from './numpy-random.ts';

export interface NmfOptions {
  readonly seed?: number;
  readonly maxIter?: number;
  readonly tol?: number;
}

export interface NmfResult {
  readonly w: Float64Array;
  readonly h: Float64Array;
  readonly iterations: number;
}

export function nmf(
  x: Float64Array,
  m: number,
  n: number,
  k: number,
  { seed = 0, maxIter = 200, tol = 1e-4 }: NmfOptions = {},
): NmfResult {
  let mean = 0;
  for (const v of x) mean += v;
  const avg = Math.sqrt(mean / x.length / k);
  const rng = new NumpyRandomState(seed);
  const h = Float64Array.from({ length: k * n }, () => Math.abs(avg * rng.standardNormal()));
  const w = Float64Array.from({ length: m * k }, () => Math.abs(avg * rng.standardNormal()));
  // H is updated as Hᵀ [n, K] against Xᵀ, as sklearn does.
  const ht = new Float64Array(n * k);
  for (let c = 0; c < k; c++) for (let j = 0; j < n; j++) ht[j * k + c] = h[c * n + j];
  const xt = new Float64Array(n * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) xt[j * m + i] = x[i * n + j];
  let first = 0;
  let iterations = 0;
  for (let it = 1; it <= maxIter; it++) {
    iterations = it;
    const violation = sweep(x, w, ht, m, n, k) + sweep(xt, ht, w, n, m, k);
    if (it === 1) first = violation;
    if (first === 0 || violation / first <= tol) break;
  }
  for (let c = 0; c < k; c++) for (let j = 0; j < n; j++) h[c * n + j] = ht[j * k + c];
  return { w, h, iterations };
}

/** One coordinate-descent pass over W [rows, K] with V [cols, K] fixed, X [rows, cols]; returns the violation. */
function sweep(x: Float64Array, w: Float64Array, v: Float64Array, rows: number, cols: number, k: number): number {
  const vv = new Float64Array(k * k);
  for (let j = 0; j < cols; j++)
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) vv[a * k + b] += v[j * k + a] * v[j * k + b];
  const xv = new Float64Array(rows * k);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const xij = x[i * cols + j];
      if (xij !== 0) for (let a = 0; a < k; a++) xv[i * k + a] += xij * v[j * k + a];
    }
  }
  let violation = 0;
  for (let t = 0; t < k; t++) {
    const hess = vv[t * k + t];
    for (let i = 0; i < rows; i++) {
      let grad = -xv[i * k + t];
      for (let r = 0; r < k; r++) grad += vv[t * k + r] * w[i * k + r];
      violation += Math.abs(w[i * k + t] === 0 ? Math.min(0, grad) : grad);
      if (hess !== 0) w[i * k + t] = Math.max(w[i * k + t] - grad / hess, 0);
    }
  }
  return violation;
}
