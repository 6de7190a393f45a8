/**
 * CAManim's normalization (Kaczmarek et al.): after ReLU, either one min/max over all layers
 * (global: layers compare with each other) or per layer (local: each layer's own contrast),
 * as pytorch-grad-cam's scale_cam_image does per map: (x − min) / (max − min + 1e-7).
 */
export type Normalization = 'global' | 'local';

export function normalizeMaps(maps: readonly Float32Array[], mode: Normalization): Float32Array[] {
  const relu = maps.map((m) => m.map((v) => (v > 0 ? v : 0)));
  const ranges = relu.map(range);
  const global = ranges.reduce((a, r) => ({ min: Math.min(a.min, r.min), max: Math.max(a.max, r.max) }), {
    min: Infinity,
    max: -Infinity,
  });
  return relu.map((m, k) => {
    const { min, max } = mode === 'global' ? global : ranges[k];
    const scale = 1 / (max - min + 1e-7);
    return m.map((v) => (v - min) * scale);
  });
}

export function range(m: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < m.length; i++) {
    const v = m[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}
