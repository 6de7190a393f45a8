/**
 * Host linear algebra for the Eigen methods: the first principal component projection of a
 * layer ([C, HW] per image, positions as samples, channels centred), as pytorch-grad-cam's
 * get_2d_projection computes with an SVD. We find the top eigenvector of the smaller Gram
 * matrix by power iteration in float64; the projection X·v equals σ·u either way.
 */

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
  let v: Float64Array;
  if (c <= hw) {
    v = topEigenvector(gram(x, hw, c, 'cols'), c);
  } else {
    // v ∝ Xᵀu for the top eigenvector u of X·Xᵀ.
    const u = topEigenvector(gram(x, hw, c, 'rows'), hw);
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
    for (let i = 0; i < hw; i++) for (let j = i; j < hw; j++) {
      let acc = 0;
      for (let k = 0; k < c; k++) acc += x[i * c + k] * x[j * c + k];
      g[i * hw + j] = acc;
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) g[i * n + j] = g[j * n + i];
  return g;
}

export function normalize(v: Float64Array): number {
  let s = 0;
  for (const e of v) s += e * e;
  const norm = Math.sqrt(s);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] /= norm;
  return norm;
}

/** Power iteration on a symmetric positive semi-definite matrix, to 1e-12 relative change. */
export function topEigenvector(m: Float64Array, n: number, maxIter = 2000): Float64Array {
  let v: Float64Array = new Float64Array(n).map((_, i) => 1 + i / n);
  normalize(v);
  let lambda = 0;
  for (let it = 0; it < maxIter; it++) {
    const w = matvec(m, v, n);
    const next = normalize(w);
    if (next === 0) return v;
    const done = Math.abs(next - lambda) <= 1e-12 * next;
    v = w;
    lambda = next;
    if (done) break;
  }
  return v;
}

/** m·v for a dense row-major n×n matrix. */
export function matvec(m: Float64Array, v: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let acc = 0;
    const row = i * n;
    for (let j = 0; j < n; j++) acc += m[row + j] * v[j];
    out[i] = acc;
  }
  return out;
}
