/** The ROAD imputation system solved exactly in float64 by Gaussian elimination (small images). */
const NB: [number, number, number][] = [[-1, -1, 1 / 12], [-1, 0, 1 / 6], [-1, 1, 1 / 12], [0, -1, 1 / 6], [0, 1, 1 / 6], [1, -1, 1 / 12], [1, 0, 1 / 6], [1, 1, 1 / 12]];

export function exactImpute(img: Float32Array, mask: Float32Array, h: number, w: number): Float64Array {
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

