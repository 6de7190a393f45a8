/**
 * The per-layer metrics of `camanim explain --metrics` (issue #14), each one's cost per layer on
 * the GradCAM maps of a few layers: ROAD (ybroad), CamMultImageConfidenceChange /
 * DropInConfidence / IncreaseInConfidence (one computation, camMultLayers), Deletion and
 * Insertion (causalLayers), MPRT (mprt), called as packages/cli/src/metrics.ts calls them
 * (default batch of 16, softmax target, pytorch-grad-cam's map). PyTorch (tools/bench_torch.py
 * metrics and road, CPU) does the same on the same layers and maps: torch.no_grad forwards in
 * batches of 16, the same images, the same number of forwards.
 */
import { camMultLayers, causalLayers, computeCams, mprt, ROAD_PRESETS, ybroad, type CamStack } from '@camanim/cam-methods';
import type { Run } from '@camanim/core';
import { inputFile } from './cam.ts';
import { argmax, benchInput, type Context } from './lib/context.ts';
import { benchTorch, withoutPyTorch } from './lib/env.ts';
import { firstLine, fmtMs, fmtRatio, measure, progress } from './lib/measure.ts';
import { table, type Table } from './lib/table.ts';
import { spreadLayers, type TorchRoad } from './road.ts';

/** Deletion / Insertion move this many rows of pixels per step (RISE's default is one: 225 forwards a layer at 224×224). */
const ROWS_PER_STEP = 8;
const LAYERS = 2;

interface TorchMetric {
  ms: number;
  forwards: number;
  values: number[];
}

interface TorchMetrics {
  threads: number;
  torch: string;
  points: number;
  step: number;
  metrics: Record<'multconf' | 'deletion' | 'insertion' | 'mprt', TorchMetric>;
}

/** One metric as camanim computes it: its values per layer (to hold against PyTorch's) and the images it scored. */
interface Metric {
  readonly id: 'road' | 'multconf' | 'deletion' | 'insertion' | 'mprt';
  readonly what: string;
  readonly score: (run: Run, stack: CamStack) => Promise<{ values?: readonly number[]; forwards: string }>;
}

export async function metricsSection(ctx: Context): Promise<Table> {
  const name = ctx.opts.quick ? 'resnet18' : 'resnet50';
  const t = table(`7. Per-layer metrics of ${name}: cost per layer, GradCAM maps of ${LAYERS} layers (batch 1, 224×224)`, [
    'metric',
    'forwards a layer (camanim / PyTorch)',
    'camanim per layer',
    'PyTorch per layer',
    'torch / camanim',
    'camanim vs PyTorch values',
    'measured on',
  ]);
  const m = await ctx.model(name);
  if ('skip' in m) {
    t.notes.push(`${name}: ${m.skip}`);
    return t;
  }
  const { all, idx, names } = spreadLayers(m.model, LAYERS);
  const step = ROWS_PER_STEP * 224;
  const metrics: Metric[] = [
    {
      id: 'multconf',
      what: 'drop, increase, multconf (one computation)',
      score: async (run, stack) => {
        const r = await camMultLayers(run, stack);
        return { values: r.series.map((s) => s.change), forwards: `1 (the ${LAYERS} layers' images padded to one batch of 16)` };
      },
    },
    ...(['deletion', 'insertion'] as const).map((mode) => ({
      id: mode,
      what: `${mode} AUC, ${ROWS_PER_STEP} rows a step`,
      score: async (run: Run, stack: CamStack) => {
        const r = await causalLayers(run, stack, mode, { step });
        return { values: r.series.map((s) => s.auc), forwards: String(Math.ceil((224 * 224) / step) + 1) };
      },
    })),
    {
      id: 'mprt',
      what: 'MPRT, top down (per randomised node: 1 fwd + 1 bwd for all layers)',
      score: async (run, stack) => {
        const r = await mprt(run, stack, { method: 'gradcam' });
        return { forwards: `${r.steps.length} fwd+bwd in all` };
      },
    },
    {
      id: 'road',
      what: 'ROAD (ybROAD: 20-80 %, MoRF + LeRF, noise 0)',
      score: async (run, stack) => {
        // tools/bench_torch.py ranks pixels as camanim's rank rule does (exact count removed, ties by index): the same masks.
        const r = await ybroad(run, stack, ROAD_PRESETS['camanim-rank']);
        return { values: r.series.map((s) => s.road), forwards: '8 + 8 imputations' };
      },
    },
  ];
  const ours = new Map<Metric['id'], { ms: number; values?: readonly number[]; forwards: string }>();
  let cls = 0;
  try {
    const run = await m.model.run(benchInput(1));
    try {
      cls = argmax((await run.read(m.model.graph.outputs[0].name)).data);
      const stack = await computeCams(run, { method: 'gradcam', target: { class: cls }, layers: { names } });
      progress(`metrics ${name}: camanim over ${idx.length} of ${all.length} layers (${idx.join(',')}), class ${cls}`);
      for (const metric of metrics) {
        let got: Awaited<ReturnType<Metric['score']>> = { forwards: '' };
        try {
          // One call each, not warmed up: deletion and insertion reuse what drop compiled (batch 16).
          const timing = await measure(async () => (got = await metric.score(run, stack)), {
            warmup: 0,
            reps: 1,
            minReps: 1,
            label: `camanim ${metric.id}`,
          });
          ours.set(metric.id, { ms: timing.median, ...got });
        } catch (e) {
          t.notes.push(`camanim ${metric.id} failed: ${firstLine(e)}`);
        }
      }
    } finally {
      run.dispose();
    }
  } catch (e) {
    t.notes.push(`camanim failed: ${firstLine(e)}`);
  }
  const theirs = new Map<Metric['id'], TorchMetric>();
  let torch = '';
  let threads = 0;
  if (!withoutPyTorch(t)) {
    progress(`metrics ${name}: PyTorch CPU over the same ${idx.length} layers`);
    const common = ['--model', name, '--input', inputFile(), '--class', String(cls), '--subset', idx.join(',')];
    try {
      const r = await benchTorch<TorchMetrics>(['metrics', ...common, '--step', String(step)]);
      if (r.points !== all.length)
        t.notes.push(
          `PyTorch found ${r.points} spatial layers, camanim ${all.length}: the subset indices may not name the same layers.`,
        );
      ({ torch, threads } = r);
      for (const [id, v] of Object.entries(r.metrics)) theirs.set(id as Metric['id'], v);
    } catch (e) {
      t.notes.push(`PyTorch metrics failed: ${firstLine(e)}`);
    }
    try {
      const r = await benchTorch<TorchRoad>(['road', ...common]);
      ({ torch, threads } = r);
      theirs.set('road', { ms: r.total_ms, forwards: r.imputations, values: r.series.map((s) => s.road) });
    } catch (e) {
      t.notes.push(`PyTorch road failed: ${firstLine(e)}`);
    }
  }
  for (const metric of metrics) {
    const a = ours.get(metric.id);
    const b = theirs.get(metric.id);
    const ms = (x?: { ms: number }) => (x ? fmtMs(x.ms / idx.length) : 'n/a');
    const perLayer = (f: number) =>
      ({ mprt: `${f} fwd+bwd in all`, road: '8 + 8 imputations' })[metric.id as string] ?? String(f / idx.length);
    const forwards = `${a?.forwards ?? 'n/a'} / ${b ? perLayer(b.forwards) : 'n/a'}`;
    const check =
      a?.values && b && a.values.length === b.values.length
        ? `max |Δ| ${Math.max(...a.values.map((v, k) => Math.abs(v - b.values[k]))).toExponential(2)}`
        : 'n/a';
    t.rows.push([
      metric.what,
      forwards,
      ms(a),
      ms(b),
      a && b ? fmtRatio(b.ms / a.ms) : 'n/a',
      metric.id === 'mprt' ? 'not compared (other random weights)' : check,
      `camanim: Dawn ${ctx.adapter}${torch ? `; PyTorch ${torch} CPU, torch.set_num_threads(${threads})` : ''}`,
    ]);
  }
  t.notes.push(
    `Layers: ${idx.length} of the ${all.length} spatial layers, spread evenly (indices ${idx.join(', ')}), class ${cls} (argmax), the softmax probability as the score; per layer = the metric's time over those layers / ${idx.length}. MPRT's cost is per randomised node (all layers' maps come from one backward), so its per-layer figure falls as layers are added.`,
    `camanim: one call of each cam-methods function as packages/cli/src/metrics.ts makes it (camMultLayers, causalLayers, mprt with method gradcam, ybroad with the camanim-rank ROAD preset: noise 0, exact counts removed, ties by index, as tools/bench_torch.py ranks), each timed once, not warmed up (the GradCAM stack and the forward before timing; the first, drop, compiles the batch-16 forward the next ones reuse). Deletion/Insertion at ${step} pixels a step (${ROWS_PER_STEP} rows; RISE's 1 row is ${ROWS_PER_STEP}× the forwards).`,
    "PyTorch: tools/bench_torch.py metrics (the same maps: ReLU, min-max, bilinear, ReLU, min-max; the same images; torch.no_grad forwards in batches of 16, unpadded; MPRT re-draws Conv2d/Linear weights top down and recomputes the GradCAMs with one forward + backward per step, SSIM 7×7 and Spearman) and tools/bench_torch.py road (the road section's SciPy spsolve imputation, forwards at batch 1); each timed once, after one warm-up forward.",
    'Two OpenMP threads on 2 shared cores: single PyTorch timings swing with the load.',
  );
  return t;
}
