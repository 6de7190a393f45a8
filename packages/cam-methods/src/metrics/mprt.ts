/**
 * The model parameter randomisation test (Adebayo et al. 2018, "Sanity checks for saliency maps";
 * Quantus's MPRT with layer_order='top_down'): the parameterised nodes are randomised one more at a
 * time from the output down (randomise.ts), and after each step every layer's map is recomputed
 * with the same method, target and seed and compared with the original map by SSIM and Spearman
 * rank correlation (similarity.ts). A map that does not depend on what the model learned stays
 * similar (≈ 1); one that does falls.
 *
 * The maps compared are those ROAD scores (pytorch-grad-cam's, road-map.ts: ReLU'd and scaled to
 * [0, 1], at the input size), so Quantus's defaults abs=True and normalise_by_max change nothing.
 * Per layer, `downstream` is the similarity once every parameterised node the layer does not
 * depend on, above it in the cascade, is randomised — just before the cascade reaches the layer's
 * own weights: it isolates the map's dependence on the model after the layer (its gradient),
 * where activation-only maps (Eigen-CAM, Random-CAM) are unchanged.
 */
import { CamanimError, type HostTensor, type Run } from '@camanim/core';
import { computeCams, type CamOptions } from '../compute.ts';
import type { CamStack } from '../method.ts';
import { layerMaps, type BatchOptions, type RoadMap } from './confidence.ts';
import { parameterNodes, randomised, type ParameterNode } from './randomise.ts';
import { spearman, ssim } from './similarity.ts';

export interface MprtOptions extends Omit<CamOptions, 'layers' | 'target' | 'onProgress'> {
  /** Seed of the randomised weights (default 42, Quantus's). */
  readonly randomSeed?: number;
  readonly item?: number;
  /** Default `pytorch-grad-cam`. */
  readonly map?: RoadMap;
  readonly onProgress?: BatchOptions['onProgress'];
  /**
   * Per layer, the randomised map `downstream` compares with the original (the step before the
   * cascade reaches the layer's own weights; never called where that step does not exist), as
   * soon as it is computed, with that original: for an animation of both. H·W values in [0, 1]
   * (the maps ROAD scores), at the input size.
   */
  readonly onDownstreamMap?: (layer: number, randomised: Float32Array, original: Float32Array) => void;
}

export interface MprtResult {
  /** The cascade, top down: step s has randomised steps 0..s. */
  readonly steps: readonly ParameterNode[];
  readonly layers: readonly string[];
  /** [step][layer]. */
  readonly ssim: readonly (readonly number[])[];
  readonly spearman: readonly (readonly number[])[];
  /** Per layer: the first step that randomises a node the layer depends on (steps.length if none). */
  readonly front: readonly number[];
  /** Per layer: the similarity at step front − 1 (NaN where front is 0). */
  readonly downstream: { readonly ssim: readonly number[]; readonly spearman: readonly number[] };
  readonly settings: { readonly method: string; readonly randomSeed: number; readonly map: RoadMap; readonly order: 'top-down' };
}

/** Nodes each tensor depends on (its producer and every node before it on a path). */
function ancestors(run: Run, names: readonly string[]): Set<string>[] {
  const producer = new Map(run.model.order.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  return names.map((name) => {
    const seen = new Set<string>();
    const stack = [name];
    while (stack.length) {
      const n = producer.get(stack.pop()!);
      if (n && !seen.has(n.name)) {
        seen.add(n.name);
        stack.push(...n.inputs.filter(Boolean));
      }
    }
    return seen;
  });
}

/** MPRT of a CAM stack computed on `run` with `opts` (the same method, options and seed are reused). */
export async function mprt(run: Run, stack: CamStack, opts: MprtOptions): Promise<MprtResult> {
  const model = run.model;
  const item = opts.item ?? 0;
  const map = opts.map ?? 'pytorch-grad-cam';
  const randomSeed = opts.randomSeed ?? 42;
  const [, , H, W] = stack.inputShape;
  const names = stack.layers.map((l) => l.name);
  const original = layerMaps(stack, item, map).map((m) => m.cam);
  const steps = parameterNodes(model).reverse();
  if (!steps.length)
    throw new CamanimError(
      'bad-model',
      'MPRT found no parameterised node (Conv, Gemm, MatMul or a normalisation with initializer weights)',
      { file: model.source },
      'MPRT needs a model with weights to randomise',
    );
  const input = await run.read(model.imageInput().name);
  const deps = ancestors(run, names);
  const front = deps.map((d) => {
    const k = steps.findIndex((s) => d.has(s.node));
    return k < 0 ? steps.length : k;
  });
  const replaced = new Map<string, HostTensor>();
  const sims = { ssim: [] as number[][], spearman: [] as number[][] };
  for (const [s, step] of steps.entries()) {
    for (const [name, t] of randomised(model, step, randomSeed + 1 + s)) replaced.set(name, t);
    const rmodel = model.withInitializers(replaced);
    try {
      const rrun = await rmodel.run(input);
      try {
        const rstack = await computeCams(rrun, { ...opts, target: stack.target, layers: names, onProgress: undefined });
        const maps = layerMaps(rstack, item, map).map((m) => m.cam);
        sims.ssim.push(maps.map((m, l) => ssim(original[l], m, H, W)));
        front.forEach((f, l) => {
          if (f === s + 1) opts.onDownstreamMap?.(l, maps[l], original[l]);
        });
        sims.spearman.push(maps.map((m, l) => spearman(original[l], m)));
      } finally {
        rrun.dispose();
      }
    } finally {
      rmodel.dispose();
    }
    opts.onProgress?.(s + 1, steps.length);
  }
  const at = (m: number[][]) => front.map((f, l) => (f > 0 ? m[f - 1][l] : NaN));
  return {
    steps,
    layers: names,
    ...sims,
    front,
    downstream: { ssim: at(sims.ssim), spearman: at(sims.spearman) },
    settings: { method: stack.method, randomSeed, map, order: 'top-down' },
  };
}
