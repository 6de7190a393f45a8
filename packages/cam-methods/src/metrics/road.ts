/**
 * ROAD (Rong et al., 2022) and the CAManim paper's ybROAD (Kaczmarek et al.): remove the p%
 * most (MoRF) or least (LeRF) relevant pixels by noisy linear imputation and measure the change
 * of the target's confidence, C(p) = score(perturbed) − score(original). Per percentile the
 * combined score is (C_LeRF(p) − C_MoRF(p))/2; a layer's ROAD is their sum over p (DESIGN.md),
 * and ybROAD is that series over layers with its max (best layer) and mean.
 * Perturbed images of all layers are imputed and scored in batches on the GPU.
 */
import { broadcastToKernel } from '@camanim/shaders';
import { CamanimError, seedGradient, type Run, type Target } from '@camanim/core';
import type { CamStack } from '../compute.ts';
import { imputeBatch, type ImputeOptions } from './imputation.ts';
import { checkPercentiles, rankPixels, removalMask, type Order } from './masks.ts';

export interface RoadOptions extends ImputeOptions {
  /** Percent of pixels removed (default 20, 40, 60, 80). */
  readonly percentiles?: readonly number[];
  /** Confidence target; default: the softmax probability of the explained class. */
  readonly target?: Target;
  /** Batch item of the run (default 0). */
  readonly item?: number;
  /** Perturbed images per batched forward. */
  readonly batch?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface RoadScore {
  readonly percentiles: readonly number[];
  readonly morf: readonly number[];
  readonly lerf: readonly number[];
  /** (LeRF − MoRF)/2 per percentile. */
  readonly combined: readonly number[];
  /** Σ_p combined(p). */
  readonly road: number;
}

export interface YbRoad {
  readonly series: readonly RoadScore[];
  readonly max: { readonly layer: number; readonly name: string; readonly value: number };
  readonly mean: number;
}

export const DEFAULT_PERCENTILES = [20, 40, 60, 80] as const;

/** ROAD of one CAM given at input resolution [H·W]. */
export async function road(run: Run, cam: ArrayLike<number>, opts: RoadOptions): Promise<RoadScore> {
  return (await roadMany(run, [{ cam, name: '' }], opts))[0];
}

/** ybROAD over every layer of a CAM stack (its upsampled maps). */
export async function ybroad(run: Run, stack: CamStack, opts: Omit<RoadOptions, 'target'> & { target?: Target } = {}): Promise<YbRoad> {
  const item = opts.item ?? 0;
  const [, , H, W] = stack.inputShape;
  const target = opts.target ?? softmaxOf(stack.target, item);
  const maps = stack.layers.map((l) => ({ cam: l.upsampled.subarray(item * H * W, (item + 1) * H * W), name: l.name }));
  const series = await roadMany(run, maps, { ...opts, target });
  let best = 0;
  series.forEach((s, k) => s.road > series[best].road && (best = k));
  return {
    series,
    max: { layer: best, name: stack.layers[best]?.name ?? '', value: series[best]?.road ?? NaN },
    mean: series.reduce((a, s) => a + s.road, 0) / Math.max(1, series.length),
  };
}

function softmaxOf(target: CamStack['target'], item: number): Target {
  const t = (Array.isArray(target) ? target[item] : target) as Target;
  if ('class' in t) return { class: t.class, kind: 'softmax' };
  throw new CamanimError('bad-target', 'ROAD needs a class target (or an explicit confidence target)', {}, 'Pass { target: { class, kind } } to ybroad');
}

async function roadMany(run: Run, maps: readonly { cam: ArrayLike<number>; name: string }[], opts: RoadOptions): Promise<RoadScore[]> {
  const percentiles = opts.percentiles ?? DEFAULT_PERCENTILES;
  checkPercentiles(percentiles);
  const model = run.model;
  const rt = model.runtime;
  const inputName = model.imageInput().name;
  const output = model.graph.outputs[0].name;
  const outShape = run.shape(output);
  if (outShape.length !== 2) {
    throw new CamanimError('bad-model', `ROAD needs a model whose output is class scores [N, K]; '${output}' is [${outShape.join(', ')}]`, { file: model.source, tensor: output });
  }
  const target = opts.target;
  if (!target) throw new CamanimError('bad-target', 'ROAD needs a target', {}, "Pass { target: { class, kind: 'softmax' } }");
  const item = opts.item ?? 0;
  const [, c, H, W] = run.shape(inputName);
  const base = await run.read(output);
  const baseline = seedGradient(target, base.data.subarray(item * outShape[1], (item + 1) * outShape[1]), [1, outShape[1]], output).scores[0];
  const jobs: { map: number; order: Order; p: number }[] = [];
  const ranked = maps.map((m) => {
    if (m.cam.length !== H * W) throw new CamanimError('bad-input', `ROAD needs the CAM at input resolution (${H}x${W}), got ${m.cam.length} values`, { layer: m.name });
    return rankPixels(m.cam, m.name);
  });
  maps.forEach((_, map) => percentiles.forEach((p) => (['morf', 'lerf'] as const).forEach((order) => jobs.push({ map, order, p }))));
  const scores = new Float64Array(jobs.length);
  const batch = opts.batch ?? 16;
  const image = { buffer: run.tensor(inputName).buffer, shape: [1, c, H, W] };
  const offset = item * c * H * W;
  for (let start = 0; start < jobs.length; start += batch) {
    // Every chunk has the same batch size (the last one padded with repeats), so the forward and
    // imputation kernels, whose shapes are baked in, compile once.
    const real = jobs.slice(start, start + batch);
    const chunk = jobs.length > batch ? [...real, ...Array(batch - real.length).fill(real[real.length - 1])] : real;
    const masks = new Float32Array(chunk.length * H * W);
    chunk.forEach((j, k) => masks.set(removalMask(ranked[j.map], j.order, j.p), k * H * W));
    const tiled = rt.createTensor([chunk.length, c, H, W], 'road:images');
    try {
      await rt.run([{ kernel: broadcastToKernel([chunk.length, c, H, W], [1, c, H, W], offset), buffers: [image.buffer, tiled.buffer] }], 'road:tile');
      const imputed = await imputeBatch(rt, tiled, masks, { ...opts, seed: (opts.seed ?? 0) + start });
      try {
        const r = await model.run(imputed.image, { retain: 'outputs' });
        const out = await r.read(output);
        r.dispose();
        const s = seedGradient(chunk.map(() => target), out.data, out.shape, output).scores;
        s.slice(0, real.length).forEach((v, k) => (scores[start + k] = v - baseline));
      } finally {
        rt.release(imputed.image);
      }
    } finally {
      rt.release(tiled);
    }
    opts.onProgress?.(Math.min(jobs.length, start + batch), jobs.length);
  }
  return maps.map((_, map) => {
    const pick = (order: Order) => percentiles.map((p) => scores[jobs.findIndex((j) => j.map === map && j.order === order && j.p === p)]);
    const morf = pick('morf');
    const lerf = pick('lerf');
    const combined = percentiles.map((_, k) => (lerf[k] - morf[k]) / 2);
    return { percentiles: [...percentiles], morf, lerf, combined, road: combined.reduce((a, b) => a + b, 0) };
  });
}
