/**
 * The largest (algebraic, not largest-magnitude) eigenpair of a dense symmetric matrix, for
 * kernel PCA, whose centred kernel matrices need not be positive semi-definite and are too big
 * (hw² for hw positions) for power iteration's slow convergence, and for the Eigen methods'
 * Gram matrices, whose top two eigenvalues can be close (linalg.ts): Lanczos with full
 * reorthogonalisation in float64, stopped when the Ritz residual β·|y_k| falls below 1e-10·|θ|,
 * the small tridiagonal problem solved by cyclic Jacobi rotations.
 */
export function largestEigenpair(m: Float64Array, n: number): { value: number; vector: Float64Array } {
  const q: Float64Array[] = [];
  const alpha: number[] = [];
  const beta: number[] = [];
  let next: Float64Array = new Float64Array(n).map((_, i) => 1 + i / n); // deterministic start
  normalize(next);
  for (let j = 0; j < n; j++) {
    q.push(next);
    const w = matvec(m, next, n);
    alpha.push(dot(w, next));
    for (let pass = 0; pass < 2; pass++) for (const qi of q) axpy(w, qi, -dot(w, qi)); // Gram-Schmidt, twice
    const b = normalize(w);
    const exhausted = b <= 1e-14 * Math.max(Math.abs(alpha[0]), 1e-300) || j === n - 1;
    if (exhausted || (j + 1) % 8 === 0) {
      const { values, vectors } = jacobiEigen(tridiagonal(alpha, beta), j + 1);
      const top = values.indexOf(Math.max(...values));
      const y = vectors.subarray(top * (j + 1), (top + 1) * (j + 1));
      if (exhausted || b * Math.abs(y[j]) <= 1e-10 * Math.abs(values[top])) {
        const vector = new Float64Array(n);
        q.forEach((qi, i) => axpy(vector, qi, y[i]));
        normalize(vector);
        return { value: values[top], vector };
      }
    }
    beta.push(b);
    next = w;
  }
  throw new Error('unreachable: Lanczos ends by step n');
}

function tridiagonal(alpha: readonly number[], beta: readonly number[]): Float64Array {
  const k = alpha.length;
  const t = new Float64Array(k * k);
  alpha.forEach((a, i) => (t[i * k + i] = a));
  for (let i = 0; i + 1 < k; i++) t[i * k + i + 1] = t[(i + 1) * k + i] = beta[i];
  return t;
}

/** Eigenvalues of a symmetric k×k matrix and its eigenvectors (row i of `vectors` for value i). */
export function jacobiEigen(input: Float64Array, k: number): { values: number[]; vectors: Float64Array } {
  const a = input.slice();
  const v = new Float64Array(k * k);
  for (let i = 0; i < k; i++) v[i * k + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let all = 0;
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        if (i === j) all += a[i * k + j] ** 2;
        else off += a[i * k + j] ** 2;
      }
    }
    if (off <= 1e-30 * (all + off)) break;
    for (let p = 0; p < k; p++) {
      for (let r = p + 1; r < k; r++) {
        const apr = a[p * k + r];
        if (apr === 0) continue;
        const theta = (a[r * k + r] - a[p * k + p]) / (2 * apr);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let i = 0; i < k; i++) rotate(a, i * k + p, i * k + r, c, s); // columns p, r
        for (let i = 0; i < k; i++) rotate(a, p * k + i, r * k + i, c, s); // rows p, r
        for (let i = 0; i < k; i++) rotate(v, p * k + i, r * k + i, c, s); // eigenvectors as rows
      }
    }
  }
  return { values: Array.from({ length: k }, (_, i) => a[i * k + i]), vectors: v };
}

function rotate(m: Float64Array, ip: number, ir: number, c: number, s: number): void {
  const x = m[ip];
  const y = m[ir];
  m[ip] = c * x - s * y;
  m[ir] = s * x + c * y;
}

function dot(a: Float64Array, b: Float64Array): number {
  let acc = 0;
  for (let i = 0; i < a.length; i++) acc += a[i] * b[i];
  return acc;
}

function axpy(y: Float64Array, x: Float64Array, s: number): void {
  for (let i = 0; i < y.length; i++) y[i] += s * x[i];
}

/** Scales v to unit length in place; returns its former length (0 leaves v as it is). */
export function normalize(v: Float64Array): number {
  let s = 0;
  for (const e of v) s += e * e;
  const norm = Math.sqrt(s);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] /= norm;
  return norm;
}

/** m·v for a dense row-major n×n matrix. */
function matvec(m: Float64Array, v: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let acc = 0;
    const row = i * n;
    for (let j = 0; j < n; j++) acc += m[row + j] * v[j];
    out[i] = acc;
  }
  return out;
}
