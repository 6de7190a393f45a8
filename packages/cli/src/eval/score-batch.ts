/**
 * One batch of `camanim eval`: the images stacked into one [B, C, H, W] input, one forward, per
 * method one backward for every image and layer (computeCams with a target per image), then
 * the ybROAD of all its images at once (road.ts' scoreImagesLayers: every image's perturbed images
 * in the same full forwards, the same numbers as `camanim explain --ybroad` on each image), and each image's maps as the gallery keeps them
 * (gallery-item.ts). The batch size comes from the memory plan.
 */
import { computeCams, type CamMethod, type LayerInfo } from '@camanim/cam-methods';
import { isCamanimError, type Model } from '@camanim/core';
import type { GpuSession } from '../gpu-session.ts';
import { galleryMap, type GalleryMap } from './gallery-item.ts';
import type { Preprocessed } from '../preprocess.ts';
import type { Progress } from '../progress.ts';
import { scoreImagesLayers, type RoadChoice } from '../road.ts';
import type { TargetKind } from '@camanim/cam-methods';
import type { Task } from '../task.ts';

export interface BatchContext {
  readonly gpu: GpuSession;
  readonly task: Task;
  readonly methods: readonly CamMethod[];
  readonly layers: ReadonlyMap<string, readonly LayerInfo[]>;
  readonly targetKind: TargetKind;
  readonly road: RoadChoice;
  readonly progress: Progress;
}

export interface ImageResult {
  readonly predicted: number;
  /** Per method, ROAD per selected layer. */
  readonly road: ReadonlyMap<string, readonly { readonly name: string; readonly value: number }[]>;
  /** Per method and layer (0-based among the method's), the CAM as the gallery keeps it. */
  readonly maps: { readonly method: string; readonly layer: number; readonly map: GalleryMap }[];
  /** Why this image could not be scored (a constant CAM has no ROAD): recorded as a failed item. */
  failure?: string;
}

export async function scoreBatch(ctx: BatchContext, xs: readonly Preprocessed[]): Promise<ImageResult[]> {
  const per = xs[0].data.length;
  const data = new Float32Array(per * xs.length);
  xs.forEach((x, b) => data.set(x.data, b * per));
  const shape = [xs.length, ...xs[0].shape.slice(1)];
  return ctx.gpu.step(`scoring a batch of ${xs.length} images`, async (model) => {
    const run = await model.run({ data, shape });
    try {
      const out = await run.read(model.graph.outputs[0].name);
      const K = out.data.length / xs.length;
      const targets = xs.map(
        (_, b) =>
          ctx.task.targets(ctx.task.scores(out.data.subarray(b * K, (b + 1) * K)), { kind: 'predicted' }, ctx.targetKind)[0],
      );
      const results: ImageResult[] = targets.map((t) => ({
        predicted: t.class,
        road: new Map<string, { name: string; value: number }[]>(),
        maps: [],
      }));
      const [H, W] = shape.slice(-2);
      for (const method of ctx.methods) {
        const layers = ctx.layers.get(method.id)!;
        const stack = await computeCams(run, { method, target: targets.map((t) => ctx.task.camTarget(t)), layers });
        // Every image still in the running, scored in the same perturbed forwards.
        const scored = targets.flatMap((t, b) => (results[b].failure ? [] : [{ stack, classIndex: t.class, item: b }]));
        const ybs = await scoreImagesLayers(
          run,
          scored,
          ctx.road,
          ctx.progress,
          model.contract!.output.activation,
          `ybROAD ${method.id}`,
        );
        for (const [n, { item: b }] of scored.entries()) {
          const yb = ybs[n];
          // The image's own fault (bad-input: a constant CAM); a GPU failure went up to the session.
          if (isCamanimError(yb)) {
            results[b].failure = `${method.id}: ${yb.message}`;
            continue;
          }
          (results[b].road as Map<string, unknown>).set(
            method.id,
            yb.series.map((s, k) => ({ name: stack.layers[k].name, value: s.road })),
          );
          for (const [k, l] of stack.layers.entries()) {
            // Item b's map (the first frame of a video input, whose frames follow one another).
            const at = b * (l.upsampled.length / xs.length);
            results[b].maps.push({
              method: method.id,
              layer: k,
              map: galleryMap(l.upsampled.subarray(at, at + H * W), { width: W, height: H }),
            });
          }
        }
      }
      return results;
    } finally {
      run.dispose();
    }
  });
}

/**
 * Images per batch from the memory plan: the forward of one image keeps `bytes` (plan/memory.ts'
 * forwardBytes, through planFor); the backward's gradients and the CAM buffers take about as much
 * again each, so a batch of B needs about 3·B·bytes of what the budget leaves free.
 */
export function planBatch(model: Model, cap: number): number {
  const input = model.imageInput();
  const one = model.planFor(new Map([[input.name, [1, ...input.shape.slice(1)]]])).bytes;
  const free = model.memory.budget - model.runtime.stats().liveBytes;
  return Math.max(1, Math.min(cap, Math.floor(free / (3 * Math.max(1, one)))));
}
