/**
 * Batch forward throughput: camanim at batch 32 (--quick: ResNet-18 at batch 8) against PyTorch
 * doing the same inference its strongest plain way (tools/bench_torch.py forward: no_grad,
 * cuDNN autotuning, NCHW and channels_last, strict fp32 and, on CUDA, the default TF32
 * convolutions), on the CPU here or CUDA on a GPU machine. Input uploaded, logits read back,
 * in both.
 */
import { benchInput, type Context } from './lib/context.ts';
import { benchTorch, TORCH_DEVICE, withoutPyTorch } from './lib/env.ts';
import { firstLine, fmtMs, fmtRatio, measure, median, progress, type Timing } from './lib/measure.ts';
import { table, type Table } from './lib/table.ts';

interface TorchForward {
  device: string;
  threads: number;
  torch: string;
  runs: { precision: string; layout: string; ms: number[] }[];
}

export async function throughputSection(ctx: Context): Promise<Table> {
  const [name, batch] = ctx.opts.quick ? ['resnet18', 8] : ['resnet50', 32];
  const t = table(`11. Forward throughput: ${name} at batch ${batch} (224×224, logits read back)`, [
    'engine',
    'precision, layout',
    'batch time',
    'images/s',
    'camanim / it',
    'measured on',
  ]);
  const m = await ctx.model(name);
  if ('skip' in m) {
    t.notes.push(`${name}: ${m.skip}`);
    return t;
  }
  const x = benchInput(batch);
  const out = m.model.graph.outputs[0].name;
  let ours: Timing | undefined;
  progress(`throughput ${name} b${batch}: camanim`);
  try {
    ours = await measure(
      async () => {
        const run = await m.model.run(x, { retain: 'outputs' });
        await run.read(out);
        run.dispose();
      },
      { reps: ctx.reps(5, 2), minReps: 2, budgetMs: ctx.budget(60_000), label: `camanim ${name} b${batch}` },
    );
    t.rows.push([
      'camanim',
      'fp32, NCHW',
      `${fmtMs(ours.median)} (n=${ours.reps})`,
      ((batch * 1000) / ours.median).toFixed(0),
      '1×',
      ctx.adapter,
    ]);
  } catch (e) {
    t.notes.push(`camanim not measured: ${firstLine(e)}`);
  }
  if (!withoutPyTorch(t)) {
    progress(`throughput ${name} b${batch}: PyTorch on ${TORCH_DEVICE}`);
    try {
      const torch = await benchTorch<TorchForward>([
        'forward',
        '--model',
        name,
        '--batch',
        String(batch),
        '--reps',
        String(ctx.reps(10, 3)),
        '--device',
        TORCH_DEVICE,
        '--threads',
        String(TORCH_DEVICE === 'cpu' ? ctx.threads : 2),
      ]);
      for (const r of torch.runs) {
        const ms = median(r.ms);
        t.rows.push([
          `PyTorch ${torch.torch}`,
          `${r.precision}, ${r.layout}`,
          `${fmtMs(ms)} (n=${r.ms.length})`,
          ((batch * 1000) / ms).toFixed(0),
          ours ? fmtRatio(ours.median / ms) : 'n/a',
          `${torch.device}${torch.device === 'CPU' ? ` ×${torch.threads} threads` : ''}`,
        ]);
      }
    } catch (e) {
      t.notes.push(`PyTorch not measured: ${firstLine(e)}`);
    }
  }
  t.notes.push(
    `camanim: model.run(x, { retain: 'outputs' }) (inference: intermediate activations released as the plan goes) + read of the logits, awaited; median after one warm-up.`,
    "PyTorch: tools/bench_torch.py forward: torch.inference_mode, parameters frozen, cudnn.benchmark on; the input copied from host memory and the logits copied back each time; median after two warm-ups. fp32 = TF32 off (cudnn.allow_tf32 and matmul.allow_tf32 False); tf32 = those True, cuDNN's default for convolutions (CUDA only).",
  );
  return t;
}
