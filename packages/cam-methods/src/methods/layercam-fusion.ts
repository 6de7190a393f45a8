/**
 * LayerCAM's fusion across the stack (Jiang et al. 2021, IEEE TIP, Sec. III-C), as a method whose
 * frame at layer L fuses the LayerCAMs of the stack's layers 1..L, at the input size (so
 * `raw` = `upsampled` there and the layer's shape reads [N, C, H, W]). Two fusions:
 * - 'mean' (default): pytorch-grad-cam's LayerCAM with target_layers = layers 1..L: base_cam.py
 *   scale(mean_l resize(scale(relu(raw_l)))), scale(x) = (x − min)/(1e-7 + max);
 * - 'max': the paper's (Eq. 9, and torchcam's LayerCAM.fuse_cams): tanh(2·scale(relu(raw_l)))
 *   resized and fused by element-wise max.
 * resize is bilinear with half-pixel centres (cv2.resize INTER_LINEAR, torch align_corners=False).
 */
import { CamanimError } from '@camanim/core';
import type { CamLayer, CamStack, ElementMethod } from '../method.ts';
import { scaleCamImage } from '../metrics/road-map.ts';
import { resizeHalfPixel } from '../resize.ts';
import { layercam } from './layercam.ts';

export const FUSIONS = ['mean', 'max'] as const;
export type Fusion = (typeof FUSIONS)[number];

/** Each layer's frame as the fusion of the stack's layers up to it. */
export function fuseStack(stack: CamStack, fusion: Fusion = 'mean'): CamStack {
  const [n, , H, W] = stack.inputShape;
  const HW = H * W;
  const acc = new Float64Array(n * HW).fill(fusion === 'max' ? -Infinity : 0);
  const layers = stack.layers.map((l, k): CamLayer => {
    const [, lc, h, w] = l.shape;
    const fused = new Float32Array(n * HW);
    for (let b = 0; b < n; b++) {
      const scaled = scaleCamImage(l.raw.slice(b * h * w, (b + 1) * h * w).map((v) => Math.max(v, 0)));
      const up = resizeHalfPixel(fusion === 'max' ? scaled.map((v) => Math.tanh(2 * v)) : scaled, h, w, H, W);
      for (let p = 0; p < HW; p++)
        acc[b * HW + p] = fusion === 'max' ? Math.max(acc[b * HW + p], up[p]) : acc[b * HW + p] + up[p];
      const frame = Float32Array.from(acc.subarray(b * HW, (b + 1) * HW), (v) => (fusion === 'max' ? v : v / (k + 1)));
      fused.set(fusion === 'max' ? frame : scaleCamImage(frame), b * HW);
    }
    return { ...l, shape: [n, lc, H, W], raw: fused, upsampled: fused, weights: undefined };
  });
  return { ...stack, layers };
}

function fusionOf(options: Readonly<Record<string, unknown>>): Fusion {
  const f = options.fusion ?? 'mean';
  if (!FUSIONS.includes(f as Fusion))
    throw new CamanimError(
      'bad-input',
      `Unknown layer fusion '${String(f)}'`,
      {},
      `Pass options.fusion as one of ${FUSIONS.join(', ')} (CLI: --fusion)`,
    );
  return f as Fusion;
}

export const layercamFusion: ElementMethod = {
  ...layercam,
  id: 'layercam-fusion',
  title: 'LayerCAM fusion',
  reference:
    'Jiang et al. 2021: frame L = scale(mean_l<=L up(scale(relu(LayerCAM_l)))) (pytorch-grad-cam); --fusion max: max_l up(tanh(2 scale(.)))',
  derive: { base: layercam, finish: (stack, options) => fuseStack(stack, fusionOf(options)) },
};
