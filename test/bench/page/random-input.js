// The benchmarks' deterministic input, shared by Node (test/bench/lib/measure.ts) and the
// Chromium page (bench.js), so both measure the same numbers: mulberry32, values in [-1, 1).
export function randomInput(n, seed = 1) {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  }
  return out;
}
