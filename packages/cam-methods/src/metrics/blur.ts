/**
 * RISE's blurred substrate (eclique/RISE evaluation.py `gkern(klen, nsig)` and Evaluation.ipynb
 * `blur = lambda x: nn.functional.conv2d(x, gkern(11, 5), padding=11 // 2)`): the kernel is a
 * klen×klen delta smoothed by scipy.ndimage.gaussian_filter(sigma = nsig; truncate 4, mode
 * 'reflect'), applied to each channel of the normalised input with zero padding.
 */

/** scipy's 1-D Gaussian weights: radius round(truncate·σ), normalised to sum 1. */
function gaussianWeights(sigma: number, truncate = 4): Float64Array {
  const r = Math.round(truncate * sigma);
  const w = Float64Array.from({ length: 2 * r + 1 }, (_, k) => Math.exp(-0.5 * ((k - r) / sigma) ** 2));
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / s);
}

/** scipy.ndimage 'reflect' (d c b a | a b c d | d c b a) index into [0, n). */
function reflect(i: number, n: number): number {
  const period = 2 * n;
  const m = ((i % period) + period) % period;
  return m < n ? m : period - 1 - m;
}

/** gkern's 1-D factor: gaussian_filter of a delta at klen // 2 (the 2-D kernel is its outer product). */
export function gkern1d(klen: number, nsig: number): Float64Array {
  const w = gaussianWeights(nsig);
  const r = (w.length - 1) / 2;
  const out = new Float64Array(klen);
  for (let i = 0; i < klen; i++) for (let t = -r; t <= r; t++) if (reflect(i + t, klen) === klen >> 1) out[i] += w[t + r];
  return out;
}

/** Each channel of x [C, H, W] convolved with gkern(klen, nsig), zero padding klen // 2; float32 kernel as RISE's. */
export function riseBlur(x: Float32Array, c: number, H: number, W: number, klen = 11, nsig = 5): Float32Array {
  const k1 = gkern1d(klen, nsig);
  const kern = Float32Array.from({ length: klen * klen }, (_, i) => k1[Math.floor(i / klen)] * k1[i % klen]);
  const pad = klen >> 1;
  const out = new Float32Array(x.length);
  for (let ch = 0; ch < c; ch++) {
    const base = ch * H * W;
    for (let y = 0; y < H; y++) {
      for (let xx = 0; xx < W; xx++) {
        let acc = 0;
        for (let i = 0; i < klen; i++) {
          const yy = y + i - pad;
          if (yy < 0 || yy >= H) continue;
          for (let j = 0; j < klen; j++) {
            const xj = xx + j - pad;
            if (xj >= 0 && xj < W) acc += kern[i * klen + j] * x[base + yy * W + xj];
          }
        }
        out[base + y * W + xx] = acc;
      }
    }
  }
  return out;
}
