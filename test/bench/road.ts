/**
 * ybROAD: ROAD at 20/40/60/80 % MoRF and LeRF (8 imputations + 8 perturbed forwards a layer)
 * for the layers of a GradCAM stack. camanim: GPU imputation (batched CG preconditioned by a multigrid V-cycle) and
 * batched forwards; PyTorch (tools/bench_torch.py, CPU): the reference imputation (one SciPy
 * sparse direct solve per perturbation, noise 0) and one forward per perturbation. Both run the
 * same fixed subset of layers; the all-layer time is extrapolated linearly.
 */
import { computeCams, ROAD_PRESETS, selectLayers, ybroad, type LayerInfo } from '@camanim/cam-methods';
import type { Model } from '@camanim/core';
import { inputFile } from './cam.ts';
import { argmax, benchInput, type Context } from './lib/context.ts';
import { benchTorch, withoutPyTorch } from './lib/env.ts';
import { firstLine, fmtMs, fmtRatio, measure, median, progress } from './lib/measure.ts';
import { table, type Table } from './lib/table.ts';

export interface TorchRoad {
  threads: number;
  torch: string;
  points: number;
  subset: number[];
  class: number;
  images: number;
  /** The GradCAM passes (one forward + one backward an image), not in total_ms. */
  cam_ms: number;
  total_ms: number;
  impute_ms: number;
  forward_ms: number;
  imputations: number;
  series: { index: number; layer: string; road: number }[];
  impute_each_ms: number[];
  forward_each_ms: number[];
}

/** `k` indices spread evenly over 0..n-1. */
export function spread(n: number, k: number): number[] {
  if (k >= n) return Array.from({ length: n }, (_, i) => i);
  if (k <= 1) return [Math.floor((n - 1) / 2)];
  return [...new Set(Array.from({ length: k }, (_, i) => Math.round((i * (n - 1)) / (k - 1))))];
}

/** k of the model's CAM layers spread evenly over its depth: all of them, the indices picked, their names. */
export function spreadLayers(model: Model, k: number): { all: LayerInfo[]; idx: number[]; names: string[] } {
  const all = selectLayers(model);
  const idx = spread(all.length, k);
  return { all, idx, names: idx.map((i) => all[i].name) };
}

export async function roadSection(ctx: Context, subsetSize?: number): Promise<Table> {
  const name = ctx.opts.quick ? 'resnet18' : 'resnet50';
  const k = subsetSize ?? 1;
  const t = table(
    `4. ybROAD over every spatial layer of ${name} (GradCAM maps; 4 percentiles × MoRF/LeRF = 8 perturbed forwards a layer)`,
    [
      'engine',
      'imputation',
      'layers measured',
      'measured time',
      'per layer',
      'all layers (extrapolated)',
      'torch / camanim',
      'measured on',
    ],
  );
  const m = await ctx.model(name);
  if ('skip' in m) {
    t.notes.push(`${name}: ${m.skip}`);
    return t;
  }
  const { all, idx, names } = spreadLayers(m.model, k);
  const x = benchInput(1);
  let cls = 0;
  let perLayerOurs: number | undefined;
  let oursSeries: number[] = [];
  try {
    const run = await m.model.run(x);
    try {
      cls = argmax((await run.read(m.model.graph.outputs[0].name)).data);
      const stack = await computeCams(run, { method: 'gradcam', target: { class: cls }, layers: { names } });
      progress(`road ${name}: camanim ybROAD over ${idx.length} of ${all.length} layers (${idx.join(',')}), class ${cls}`);
      const timing = await measure(
        async () => {
          // tools/bench_torch.py ranks pixels as camanim's rank rule does (exact count removed, ties by index): the same masks.
          const yb = await ybroad(run, stack, {
            ...ROAD_PRESETS['camanim-rank'],
            onProgress: (d, n) => progress(`  camanim ybROAD ${d}/${n} perturbations`),
          });
          oursSeries = yb.series.map((s) => s.road);
        },
        { warmup: 0, reps: 1, minReps: 1, label: `camanim ybROAD ${name}` },
      );
      perLayerOurs = timing.median / idx.length;
      t.rows.push([
        'camanim',
        'GPU batched multigrid-preconditioned CG (noisy linear, noise 0); forwards in batches of ≤16',
        `${idx.length} of ${all.length}`,
        `${fmtMs(timing.median)} (n=${timing.reps})`,
        fmtMs(perLayerOurs),
        fmtMs(perLayerOurs * all.length),
        '1×',
        `Dawn ${ctx.adapter}`,
      ]);
    } finally {
      run.dispose();
    }
  } catch (e) {
    t.notes.push(`camanim failed: ${firstLine(e)}`);
  }
  if (withoutPyTorch(t)) return t;
  progress(`road ${name}: PyTorch CPU + SciPy spsolve over the same ${idx.length} layers`);
  try {
    const r = await benchTorch<TorchRoad>([
      'road',
      '--model',
      name,
      '--input',
      inputFile(),
      '--class',
      String(cls),
      '--subset',
      idx.join(','),
    ]);
    if (r.points !== all.length)
      t.notes.push(
        `PyTorch found ${r.points} spatial layers, camanim ${all.length}: the subset indices may not name the same layers.`,
      );
    // robust to load spikes: per layer = 8 × (median imputation + median forward)
    const perturbations = r.imputations / idx.length;
    const per = perturbations * (median(r.impute_each_ms) + median(r.forward_each_ms));
    t.rows.push([
      `PyTorch ${r.torch} CPU`,
      'SciPy spsolve (exact, noise 0), forwards batch 1',
      `${idx.length} of ${r.points}`,
      `${fmtMs(per * idx.length)} (sum measured: ${fmtMs(r.total_ms)})`,
      fmtMs(per),
      fmtMs(per * all.length),
      perLayerOurs ? fmtRatio(per / perLayerOurs) : 'n/a',
      `CPU, torch.set_num_threads(${r.threads})`,
    ]);
    t.notes.push(
      `PyTorch per layer = ${perturbations} × (median imputation ${fmtMs(median(r.impute_each_ms))} + median forward ${fmtMs(median(r.forward_each_ms))}); single PyTorch timings swing 10-50× with the machine's load (2 OpenMP threads on 2 shared cores), so medians, not the sum.`,
    );
    t.notes.push(
      `PyTorch split: imputation ${fmtMs(r.impute_ms)} (${r.imputations} sparse solves), forwards ${fmtMs(r.forward_ms)}.`,
    );
    if (oursSeries.length === r.series.length) {
      const diffs = r.series.map((s, j) => Math.abs(s.road - oursSeries[j]));
      t.notes.push(
        `Check: per-layer ROAD, camanim vs PyTorch (same weights, input, class, masks rule): max |Δ| ${Math.max(...diffs).toExponential(2)} over ${diffs.length} layers (values ${oursSeries.map((v) => v.toFixed(3)).join(', ')}).`,
      );
    }
  } catch (e) {
    t.notes.push(`PyTorch failed: ${firstLine(e)}`);
  }
  t.notes.push(
    `Measured on a fixed subset of ${idx.length} layers spread evenly over the ${all.length} (indices ${idx.join(', ')}) for both engines; "all layers" = per-layer time × ${all.length} (linear extrapolation).`,
    "camanim: one ybroad(run, stack, ROAD_PRESETS['camanim-rank']) call (noise 0, exact counts removed, ties by index, as tools/bench_torch.py ranks), NOT warmed up (a warm-up would double a cost of minutes; the time includes compiling the imputation kernels and the forward at the perturbation batch size, small next to the conjugate-gradient iterations); the GradCAM stack and the forward are computed before timing. PyTorch: tools/bench_torch.py road, the way pytorch-grad-cam's ROAD metrics do it (per percentile and order: impute, one forward, softmax), GradCAMs computed before timing.",
  );
  return t;
}
