/** The ROAD imputation system in float64, solved exactly by Gaussian elimination (small images). */
const NB: [number, number, number][] = [
  [-1, -1, 1 / 12],
  [-1, 0, 1 / 6],
  [-1, 1, 1 / 12],
  [0, -1, 1 / 6],
  [0, 1, 1 / 6],
  [1, -1, 1 / 12],
  [1, 0, 1 / 6],
  [1, 1, 1 / 12],
];

/** The dense system A·x = b over the removed pixels (`missing`, in pixel order). */
function imputeSystem(img: Float32Array, mask: Float32Array, h: number, w: number) {
  const missing = [...mask.keys()].filter((i) => mask[i] > 0.5);
  const id = new Map(missing.map((p, k) => [p, k]));
  const n = missing.length;
  const a = new Float64Array(n * n);
  const b = new Float64Array(n);
  missing.forEach((p, row) => {
    const y = Math.floor(p / w);
    const x = p % w;
    for (const [dy, dx, wt] of NB) {
      const ny = y + dy;
      const nx = x + dx;
      if (ny < 0 || ny >= h || nx < 0 || nx >= w) continue;
      const q = ny * w + nx;
      a[row * n + row] += wt;
      if (id.has(q)) a[row * n + id.get(q)!] -= wt;
      else b[row] += wt * img[q];
    }
  });
  return { a, b, n, missing };
}

/** Iterations plain (unpreconditioned) CG from x = 0 needs to reach ‖r‖ ≤ tol·‖b‖. */
export function plainCgIterations(img: Float32Array, mask: Float32Array, h: number, w: number, tol: number): number {
  const { a, b, n } = imputeSystem(img, mask, h, w);
  const dot = (u: Float64Array, v: Float64Array) => u.reduce((s, x, i) => s + x * v[i], 0);
  const r = Float64Array.from(b);
  const p = Float64Array.from(b);
  const ap = new Float64Array(n);
  const bb = dot(b, b);
  let rr = bb;
  for (let it = 1; it <= 10 * n; it++) {
    for (let i = 0; i < n; i++) ap[i] = dot(a.subarray(i * n, (i + 1) * n), p);
    const alpha = rr / dot(p, ap);
    for (let i = 0; i < n; i++) r[i] -= alpha * ap[i];
    const next = dot(r, r);
    if (next <= tol * tol * bb) return it;
    for (let i = 0; i < n; i++) p[i] = r[i] + (next / rr) * p[i];
    rr = next;
  }
  throw new Error('plain CG did not converge');
}

export function exactImpute(img: Float32Array, mask: Float32Array, h: number, w: number): Float64Array {
  const { a, b, n, missing } = imputeSystem(img, mask, h, w);
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r * n + col]) > Math.abs(a[piv * n + col])) piv = r;
    for (let k = 0; k < n; k++) [a[col * n + k], a[piv * n + k]] = [a[piv * n + k], a[col * n + k]];
    [b[col], b[piv]] = [b[piv], b[col]];
    for (let r = col + 1; r < n; r++) {
      const f = a[r * n + col] / a[col * n + col];
      for (let k = col; k < n; k++) a[r * n + k] -= f * a[col * n + k];
      b[r] -= f * b[col];
    }
  }
  const xs = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r];
    for (let k = r + 1; k < n; k++) s -= a[r * n + k] * xs[k];
    xs[r] = s / a[r * n + r];
  }
  const out = Float64Array.from(img);
  missing.forEach((p, k) => (out[p] = xs[k]));
  return out;
}
