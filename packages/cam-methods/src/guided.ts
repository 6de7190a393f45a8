/**
 * Guided Backpropagation (Springenberg et al. 2015, arXiv:1412.6806) and Guided Grad-CAM
 * (Selvaraju et al. 2017) as images, as pytorch-grad-cam's guided_backprop.py and cam.py make them:
 * the input gradient of the target with every ReLU passing only positive gradients where its input
 * was positive (core's guided backward), laid out [H, W, C]; an image of it is utils/image.py's
 * deprocess_image: x − mean, / (std + 1e-5), × 0.1, + 0.5, clipped to [0, 1], × 255 truncated to
 * uint8 (mean and population std over all of H·W·C). Guided Grad-CAM is deprocess_image of the
 * guided gradient times the CAM map (each channel), the map being the library's Grad-CAM output.
 */
import type { Run, Target } from '@camanim/core';

export interface GuidedGradient {
  /** [N, H, W, C]: the guided input gradient per image, channels last. */
  readonly data: Float32Array;
  readonly shape: readonly [number, number, number, number];
}

export async function guidedBackprop(run: Run, target: Target | readonly Target[]): Promise<GuidedGradient> {
  const input = run.model.imageInput().name;
  const [n, c, H, W] = run.shape(input);
  const grads = await run.backward(target, { layers: [input], mode: 'guided' });
  try {
    const g = (await grads.read(input)).data;
    const data = new Float32Array(g.length);
    for (let b = 0; b < n; b++)
      for (let q = 0; q < c; q++) for (let p = 0; p < H * W; p++) data[(b * H * W + p) * c + q] = g[(b * c + q) * H * W + p];
    return { data, shape: [n, H, W, c] };
  } finally {
    grads.dispose();
  }
}

/** deprocess_image of one image's [H·W·C] values, optionally each pixel times map [H·W] (Guided Grad-CAM). */
export function deprocessImage(values: Float32Array, channels: number, map?: ArrayLike<number>): Uint8Array {
  const x = map ? values.map((v, i) => v * map[Math.floor(i / channels)]) : values;
  let mean = 0;
  for (const v of x) mean += v;
  mean /= x.length;
  let sq = 0;
  for (const v of x) sq += (v - mean) ** 2;
  const scale = 0.1 / (Math.sqrt(sq / x.length) + 1e-5);
  return Uint8Array.from(x, (v) => Math.trunc(Math.min(Math.max((v - mean) * scale + 0.5, 0), 1) * 255));
}
