/**
 * What the perturbation metrics share: the class-score model and the target's score on the
 * original image (`confidenceOf`), the confidence target of a CAM stack (`stackTarget`), the map
 * each layer is scored with (`layerMaps`), and perturbed images built on the host scored in
 * batched forwards (`scoreImages`).
 */
import { CamanimError, seedGradient, type Run, type Target } from '@camanim/core';
import type { CamStack } from '../method.ts';
import { pytorchGradCamMap } from './road-map.ts';

/** The map a metric scores per layer: pytorch-grad-cam's (road-map.ts) or camanim's `upsampled` as is. */
export type RoadMap = 'pytorch-grad-cam' | 'upsampled';

export interface Confidence {
  readonly inputName: string;
  readonly output: string;
  /** [C, H, W] of one image. */
  readonly image: readonly [number, number, number];
  /** The target's score on the original image of `item`. */
  readonly baseline: number;
  readonly target: Target;
  readonly item: number;
}

/** Checks that the model gives class scores [N, K] and scores the original image. */
export async function confidenceOf(run: Run, target: Target | undefined, item: number, metric: string): Promise<Confidence> {
  const model = run.model;
  const inputName = model.imageInput().name;
  const output = model.graph.outputs[0].name;
  const outShape = run.shape(output);
  if (outShape.length !== 2) {
    throw new CamanimError(
      'bad-model',
      `${metric} needs a model whose output is class scores [N, K]; '${output}' is [${outShape.join(', ')}]`,
      { file: model.source, tensor: output },
    );
  }
  if (!target)
    throw new CamanimError('bad-target', `${metric} needs a target`, {}, "Pass { target: { class, kind: 'softmax' } }");
  const [, c, H, W] = run.shape(inputName);
  const base = await run.read(output);
  const baseline = seedGradient(
    target,
    base.data.subarray(item * outShape[1], (item + 1) * outShape[1]),
    [1, outShape[1]],
    output,
  ).scores[0];
  return { inputName, output, image: [c, H, W], baseline, target, item };
}

/** The default confidence target of a stack: the softmax probability of its class. */
export function stackTarget(target: CamStack['target'], item: number, metric: string): Target {
  const t = (Array.isArray(target) ? target[item] : target) as Target;
  if ('class' in t) return { class: t.class, kind: 'softmax' };
  throw new CamanimError(
    'bad-target',
    `${metric} needs a class target (or an explicit confidence target)`,
    {},
    `Pass { target: { class, kind } } to ${metric}`,
  );
}

/** Each layer's map at input resolution [H·W] for batch item `item`. */
export function layerMaps(stack: CamStack, item: number, map: RoadMap): { cam: Float32Array; name: string }[] {
  const [, , H, W] = stack.inputShape;
  return stack.layers.map((l) => {
    const [, , h, w] = l.shape;
    const cam =
      map === 'upsampled'
        ? l.upsampled.subarray(item * H * W, (item + 1) * H * W)
        : pytorchGradCamMap(l.raw.subarray(item * h * w, (item + 1) * h * w), h, w, H, W);
    return { cam, name: l.name };
  });
}

/** The maps, item and target a per-layer metric scores a stack with (defaults: item 0, pytorch-grad-cam's map, softmax). */
export function stackMaps(
  stack: CamStack,
  opts: { readonly item?: number; readonly map?: RoadMap; readonly target?: Target },
  metric: string,
) {
  const item = opts.item ?? 0;
  const map = opts.map ?? 'pytorch-grad-cam';
  return {
    item,
    map,
    target: opts.target ?? stackTarget(stack.target, item, metric),
    cams: layerMaps(stack, item, map).map((m) => m.cam),
  };
}

/** Every map must be at the input's resolution [H·W]. */
export function checkMapSizes(cams: readonly ArrayLike<number>[], H: number, W: number, metric: string): void {
  cams.forEach((cam, k) => {
    if (cam.length !== H * W) {
      throw new CamanimError(
        'bad-input',
        `${metric} needs each map at the input's resolution (${H}x${W}); map ${k} holds ${cam.length} values`,
        {},
        "Pass the CAM upsampled to the input size (a CamLayer's upsampled)",
      );
    }
  });
}

/** The original image of `item` [C·H·W] on the host. */
export async function originalImage(run: Run, conf: Confidence): Promise<Float32Array> {
  const n = conf.image[0] * conf.image[1] * conf.image[2];
  return (await run.read(conf.inputName)).data.slice(conf.item * n, (conf.item + 1) * n);
}

export interface BatchOptions {
  /** Perturbed images per batched forward (default 16). */
  readonly batch?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * The target's score on `count` images that `build(k, into)` writes ([C·H·W] each), in batched
 * forwards. Every chunk has the same batch size, `batch` (default 16, as ROAD's), the last padded
 * with repeats, so the kernels, whose shapes are baked in, compile once for every metric.
 */
export async function scoreImages(
  run: Run,
  conf: Confidence,
  count: number,
  build: (k: number, into: Float32Array) => void,
  opts: BatchOptions = {},
): Promise<Float64Array> {
  const [c, H, W] = conf.image;
  const size = c * H * W;
  const batch = Math.max(1, opts.batch ?? 16);
  const scores = new Float64Array(count);
  for (let start = 0; start < count; start += batch) {
    const data = new Float32Array(batch * size);
    for (let k = 0; k < batch; k++) build(Math.min(start + k, count - 1), data.subarray(k * size, (k + 1) * size));
    const r = await run.model.run({ data, shape: [batch, c, H, W] }, { retain: 'outputs' });
    try {
      const out = await r.read(conf.output);
      const s = seedGradient(
        Array.from({ length: batch }, () => conf.target),
        out.data,
        out.shape,
        conf.output,
      ).scores;
      for (let k = 0; k < batch && start + k < count; k++) scores[start + k] = s[k];
    } finally {
      r.dispose();
    }
    opts.onProgress?.(Math.min(count, start + batch), count);
  }
  return scores;
}
