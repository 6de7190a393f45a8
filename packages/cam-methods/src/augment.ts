/**
 * Test-time augmentation smoothing (pytorch-grad-cam's aug_smooth with ttach's
 * HorizontalFlip × Multiply(factors=[0.9, 1, 1.1])): each image runs as 6 variants, batched into
 * one forward and one backward, and each layer's CAM of each variant is ReLU'd, min-max
 * normalised, flipped back and averaged. pytorch-grad-cam averages the normalised maps its
 * forward returns (scale_cam_image: normalise at layer resolution, resize, and for one target
 * layer normalise again), so the stored maps are already ReLU'd and in [0, 1]:
 *   raw       = mean_t flip_t(norm(ReLU(cam_t)))                       at layer resolution
 *   upsampled = mean_t flip_t(norm(resize(norm(ReLU(cam_t)))))         its output for the layer
 * Scores are those of the unaugmented variant; channel weights are not kept (one per variant).
 */
import type { Run, Target } from '@camanim/core';
import type { CamLayer, CamStack } from './method.ts';
import { normalizeMaps } from './normalize.ts';
import { resizeHalfPixel } from './resize.ts';

const AUGMENTS = [false, true].flatMap((flip) => [0.9, 1, 1.1].map((factor) => ({ flip, factor })));
const IDENTITY = AUGMENTS.findIndex((a) => !a.flip && a.factor === 1);

/** What augmentation reads of computeCams' options (the rest passes through to `compute`). */
interface AugmentedOptions {
  readonly target: Target | readonly Target[];
  readonly augSmooth?: boolean;
}

export async function augmentedCams<O extends AugmentedOptions>(
  run: Run,
  opts: O,
  compute: (run: Run, opts: O) => Promise<CamStack>,
): Promise<CamStack> {
  const model = run.model;
  const input = await run.read(model.imageInput().name);
  const [n, ch, H, W] = input.shape;
  const T = AUGMENTS.length;
  const data = new Float32Array(n * T * ch * H * W);
  for (let b = 0; b < n; b++) {
    AUGMENTS.forEach(({ flip, factor }, t) => {
      const src = input.data.subarray(b * ch * H * W, (b + 1) * ch * H * W);
      flipInto(data, (b * T + t) * ch * H * W, src, ch * H, W, flip, factor);
    });
  }
  const target = Array.from(
    { length: n * T },
    (_, i): Target => (Array.isArray(opts.target) ? (opts.target as Target[])[Math.floor(i / T)] : (opts.target as Target)),
  );
  const augRun = await model.run({ data, shape: [n * T, ch, H, W] });
  try {
    // computeCams gives each layer the batch of the run it is handed (n·T here).
    const stack = await compute(augRun, { ...opts, target, augSmooth: false });
    return {
      ...stack,
      target: opts.target,
      scores: Array.from({ length: n }, (_, b) => stack.scores[b * T + IDENTITY]),
      inputShape: input.shape,
      layers: stack.layers.map((l) => combine(l, n, H, W)),
    };
  } finally {
    augRun.dispose();
  }
}

/** The mean of the de-augmented, normalised maps of one layer (see the header). */
function combine(layer: CamLayer, n: number, H: number, W: number): CamLayer {
  const [, c, h, w] = layer.shape;
  const raw = new Float32Array(n * h * w);
  const upsampled = new Float32Array(n * H * W);
  const T = AUGMENTS.length;
  for (let b = 0; b < n; b++) {
    AUGMENTS.forEach(({ flip }, t) => {
      const [m] = normalizeMaps([layer.raw.subarray((b * T + t) * h * w, (b * T + t + 1) * h * w)], 'local');
      const [up] = normalizeMaps([resizeHalfPixel(m, h, w, H, W)], 'local');
      flipInto(raw, b * h * w, m, h, w, flip, 1 / T, true);
      flipInto(upsampled, b * H * W, up, H, W, flip, 1 / T, true);
    });
  }
  return { index: layer.index, name: layer.name, opType: layer.opType, shape: [n, c, h, w], raw, upsampled };
}

/** dst[off + r·w + x] (+)= scale · src[r·w + x'] with x' = w − 1 − x when flipped, over `rows` rows. */
function flipInto(
  dst: Float32Array,
  off: number,
  src: Float32Array,
  rows: number,
  w: number,
  flip: boolean,
  scale: number,
  add = false,
): void {
  for (let r = 0; r < rows; r++) {
    for (let x = 0; x < w; x++) {
      const v = scale * src[r * w + (flip ? w - 1 - x : x)];
      dst[off + r * w + x] = add ? dst[off + r * w + x] + v : v;
    }
  }
}
