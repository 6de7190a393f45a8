/**
 * All-layer CAManim: GradCAM at every spatial layer. camanim does one forward, one backward and
 * every layer's CAM on the GPU; PyTorch (tools/bench_torch.py, CPU, or CUDA on a GPU machine) does it the way
 * pytorch-grad-cam(-anim) does: one forward + backward per layer with hooks, and the strongest
 * way a PyTorch user can (the camanim way: every layer hooked, one forward and one backward).
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeCams, selectLayers } from '@camanim/cam-methods';
import { argmax, benchInput, type Context } from './lib/context.ts';
import { benchTorch, withoutPyTorch, TORCH_DEVICE } from './lib/env.ts';
import { firstLine, fmtMs, fmtRatio, measure, median, progress } from './lib/measure.ts';
import { table, type Table } from './lib/table.ts';

interface TorchCam {
  mode: string;
  device: string;
  threads: number;
  torch: string;
  points: number;
  layers: number;
  class: number;
  /** lib, lean: the whole loop and each layer's forward + backward + CAM. */
  total_ms?: number;
  per_layer_ms?: number[];
  fwd_bwd_ms?: number;
  /** hooked: each timed pass (one forward + one backward + every CAM). */
  pass_ms?: number[];
}

const HOW: Record<string, string> = {
  lib: 'pytorch-grad-cam way: per layer 1 fwd + 1 bwd (weight grads on) + its CAM',
  lean: 'lean per-layer: params frozen, bwd stops at the layer',
  hooked: 'camanim way: hooks on every layer, params frozen, 1 fwd + 1 bwd, all CAMs',
};

/** Writes the benchmark input for tools/bench_torch.py (float32 LE) and returns its path. */
export function inputFile(): string {
  const file = join(tmpdir(), `camanim-bench-input-${process.pid}.bin`);
  if (!existsSync(file)) {
    const x = benchInput(1).data;
    writeFileSync(file, Buffer.from(x.buffer, x.byteOffset, x.byteLength));
    process.once('exit', () => rmSync(file, { force: true }));
  }
  return file;
}

export async function camSection(ctx: Context): Promise<Table> {
  const name = ctx.opts.quick ? 'resnet18' : 'resnet50';
  const t = table(`3. All-layer CAManim: GradCAM at every spatial layer of ${name} (batch 1, 224×224)`, [
    'engine',
    'how',
    'layers',
    'total',
    'per layer',
    'torch / camanim',
    'measured on',
  ]);
  const m = await ctx.model(name);
  if ('skip' in m) {
    t.notes.push(`${name}: ${m.skip}`);
    return t;
  }
  const x = benchInput(1);
  let cls = 0;
  let ours: number | undefined;
  const layers = selectLayers(m.model).length;
  try {
    const first = await m.model.run(x);
    cls = argmax((await first.read(m.model.graph.outputs[0].name)).data);
    first.dispose();
    progress(`cam ${name}: camanim forward + backward + GradCAM at ${layers} layers (class ${cls})`);
    const timing = await measure(
      async () => {
        const run = await m.model.run(x);
        const stack = await computeCams(run, { method: 'gradcam', target: { class: cls } });
        if (stack.layers.length !== layers) throw new Error(`computeCams gave ${stack.layers.length} layers, expected ${layers}`);
        run.dispose();
      },
      { reps: ctx.reps(3, 2), budgetMs: ctx.budget(30_000), label: `camanim cam ${name}` },
    );
    ours = timing.median;
    t.rows.push([
      'camanim',
      '1 fwd + 1 bwd + all CAMs on the GPU, maps read back',
      String(layers),
      `${fmtMs(timing.median)} (n=${timing.reps})`,
      fmtMs(timing.median / layers),
      '1×',
      `Dawn ${ctx.adapter}`,
    ]);
  } catch (e) {
    t.notes.push(`camanim failed: ${firstLine(e)}`);
  }
  if (withoutPyTorch(t)) return t;
  const input = inputFile();
  // lib (the pytorch-grad-cam way) over every layer; lean over an evenly spread subset,
  // extrapolated; hooked (every layer in one pass) repeated
  const runs = [
    { mode: 'lib', subset: undefined },
    { mode: 'lean', subset: ctx.opts.quick ? undefined : 24 },
    { mode: 'hooked', subset: undefined },
  ] as const;
  for (const { mode, subset } of runs) {
    progress(`cam ${name}: PyTorch ${TORCH_DEVICE}, GradCAM (${mode}${subset ? `, ${subset} layers` : ''})`);
    try {
      const r = await benchTorch<TorchCam>([
        'cam',
        '--model',
        name,
        '--input',
        input,
        '--class',
        String(cls),
        '--mode',
        mode,
        '--device',
        TORCH_DEVICE,
        ...(subset ? ['--layers', String(subset)] : []),
        ...(mode === 'hooked' ? ['--reps', String(ctx.reps(5, 3))] : []),
      ]);
      if (r.points !== layers) t.notes.push(`PyTorch found ${r.points} spatial layers, camanim explains ${layers}.`);
      // Two OpenMP threads on two shared, busy cores make single PyTorch timings swing 10-50×
      // with the load: the per-layer estimate is the median per-layer time × the layer count.
      const total = r.pass_ms ? median(r.pass_ms) : median(r.per_layer_ms ?? []) * r.points;
      const measured = r.pass_ms
        ? `n=${r.pass_ms.length}`
        : `sum measured: ${fmtMs(r.total_ms ?? Number.NaN)}${r.layers === r.points ? '' : ` for ${r.layers}`}`;
      t.rows.push([
        `PyTorch ${r.torch} ${r.device} (${mode})`,
        HOW[mode],
        r.layers === r.points ? String(r.layers) : `${r.layers} of ${r.points}`,
        `${fmtMs(total)} (${measured})`,
        fmtMs(total / r.points),
        ours ? fmtRatio(total / ours) : 'n/a',
        r.device === 'CPU' ? `CPU, torch.set_num_threads(${r.threads})` : r.device,
      ]);
      if (mode === 'lib' && r.fwd_bwd_ms)
        t.notes.push(`PyTorch one plain forward+backward: ${fmtMs(r.fwd_bwd_ms)} (median of 3).`);
      if (r.layers !== r.points)
        t.notes.push(`PyTorch (${mode}) measured ${r.layers} layers spread evenly over the ${r.points}.`);
    } catch (e) {
      t.notes.push(`PyTorch (${mode}) failed: ${firstLine(e)}`);
    }
  }
  t.notes.push(
    'camanim: model.run + computeCams(run, { method: "gradcam" }) over every spatial layer (backward keeps those layers\' gradients; weights, weighted sums and bilinear upsampling on the GPU; raw and 224×224 maps read back).',
    `PyTorch: tools/bench_torch.py cam, torchvision ${name} with the same weights and input as the ONNX model; hooks on the same layers (Conv(+folded BN) / ReLU / residual Add / MaxPool outputs); each layer: forward, zero_grad, backward of logit[${cls}], GradCAM (mean-gradient weights, ReLU, bilinear to 224, min-max); one run over all layers after one warm-up layer.`,
    'PyTorch (hooked): tools/bench_torch.py cam --mode hooked, the same hooks on every layer at once, one forward, one torch.autograd.grad of the logit for all of them, every GradCAM the same way; the median of its timed passes after one warm-up.',
    "PyTorch total (lib, lean) = median per-layer time × layer count (the measured sum is in brackets): with 2 OpenMP threads on 2 shared cores, single PyTorch timings swing 10-50× with the load, and the median is the robust (and, for camanim, conservative) estimate. camanim's number is the median of its repetitions.",
    'Target: torch (pytorch-grad-cam way) / camanim ≥ 5×; the hooked row is the strongest PyTorch baseline (#19).',
  );
  return t;
}
