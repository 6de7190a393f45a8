/** A small seeded generator (xorshift32) so that random baselines and noise repeat exactly. */
export function uniform(count: number, seed: number, lo: number, hi: number): Float32Array {
  let s = (seed >>> 0) ^ 0x9e3779b9 || 1;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = lo + (s / 4294967296) * (hi - lo);
  }
  return out;
}
