/**
 * Backward: camanim's forward + backward (gradient kept at every layer) against its forward,
 * and the all-layer gradient (1 forward + 1 backward) against the per-layer way (one forward +
 * backward per layer). Optional: TensorFlow.js's WebGPU backend computing the gradient at every
 * layer of a ResNet-18-shaped net in the same headless Chromium.
 */
import { selectLayers } from '@camanim/cam-methods';
import { argmax, benchInput, type Context } from './lib/context.ts';
import { firstLine, fmtMs, fmtRatio, measure, progress, summarize, type Timing } from './lib/measure.ts';
import { table, type Table } from './lib/table.ts';

export async function backwardSection(ctx: Context): Promise<Table[]> {
  const models = ctx.opts.quick ? ['resnet18'] : ['resnet18', 'resnet50'];
  const t = table('2a. Backward: forward+backward vs forward (batch 1, 224×224, gradient kept at every layer)', [
    'model',
    'engine',
    'forward',
    'forward+backward',
    'fwd+bwd / fwd',
    'spatial layers L',
    'all layers: 1 fwd + 1 bwd',
    'per-layer way: L × (fwd+bwd)',
    'per-layer / all-layer',
    'measured on',
  ]);
  let r18: Timing | undefined;
  for (const name of models) {
    const m = await ctx.model(name);
    if ('skip' in m) {
      t.notes.push(`${name}: ${m.skip}`);
      continue;
    }
    const x = benchInput(1);
    const out = m.model.graph.outputs[0].name;
    const reps = ctx.reps(name === 'resnet50' ? 2 : 3, 2);
    const budget = ctx.budget(name === 'resnet50' ? 30_000 : 20_000);
    try {
      const first = await m.model.run(x);
      const cls = argmax((await first.read(out)).data);
      first.dispose();
      const reused = ctx.results.get(`camanim-forward:${name}:1`);
      if (reused) t.notes.push(`${name}: the forward time is table 1's (same measurement).`);
      else progress(`backward ${name}: forward`);
      const fwd =
        reused ??
        (await measure(
          async () => {
            const run = await m.model.run(x);
            await run.read(out);
            run.dispose();
          },
          { reps, budgetMs: budget, label: `camanim fwd ${name}` },
        ));
      progress(`backward ${name}: forward + backward (class ${cls})`);
      const gpu = ctx.runtime.gpu;
      let kept = 0;
      const fb = await measure(
        async () => {
          const run = await m.model.run(x);
          const grads = await run.backward({ class: cls });
          await ctx.runtime.wait(gpu.queue.onSubmittedWorkDone());
          kept = grads.names().length;
          grads.dispose();
          run.dispose();
        },
        { reps, budgetMs: budget, label: `camanim fwd+bwd ${name}` },
      );
      if (name === 'resnet18') r18 = fb;
      const layers = selectLayers(m.model).length;
      t.rows.push([
        name,
        'camanim',
        `${fmtMs(fwd.median)} (n=${fwd.reps})`,
        `${fmtMs(fb.median)} (n=${fb.reps})`,
        fmtRatio(fb.median / fwd.median),
        String(layers),
        fmtMs(fb.median),
        fmtMs(layers * fb.median),
        fmtRatio(layers),
        `Dawn ${ctx.adapter}`,
      ]);
      t.notes.push(
        `${name}: the backward kept ${kept} gradients (every tensor between the input and the logits, the input included).`,
      );
    } catch (e) {
      t.notes.push(`${name}: camanim failed: ${firstLine(e)}`);
    }
  }
  t.notes.push(
    "camanim forward+backward: model.run + run.backward({ class: argmax }) with the default keep set (every layer's gradient stays on the GPU), awaited with queue.onSubmittedWorkDone().",
    'per-layer way = L × one measured forward+backward (NOT run L times): what a tool pays that explains one layer per forward+backward, as pytorch-grad-cam does; so the ratio is L by construction, and section 3 measures it for real in PyTorch.',
  );
  const tf = await tfjsRow(ctx, r18);
  return [t, tf];
}

async function tfjsRow(ctx: Context, r18?: Timing): Promise<Table> {
  const t = table('2b. TensorFlow.js WebGPU backend: gradient at every layer of a ResNet-18-shaped net (batch 1, 224×224)', [
    'engine',
    'forward',
    'forward+backward',
    'fwd+bwd / fwd',
    'layers with a gradient',
    'camanim fwd+bwd (ResNet-18)',
    'camanim / tfjs',
    'measured on',
  ]);
  if (ctx.opts.noTfjs) {
    t.notes.push('TensorFlow.js not measured (--no-tfjs).');
    return t;
  }
  const browser = await ctx.chromium();
  if ('skip' in browser) {
    t.notes.push(`TensorFlow.js not measured: ${browser.skip}`);
    return t;
  }
  progress('backward: TensorFlow.js WebGPU in Chromium (ResNet-18-shaped)');
  try {
    const reps = ctx.reps(3, 2);
    const r = await browser.call<{
      backend: string;
      layers: number;
      fwd: { warmup: number[]; samples: number[] };
      grad: { warmup: number[]; samples: number[] };
      tensors: number;
    }>('benchTfjsGrad', {
      batch: 1,
      warmup: 1,
      reps,
      minReps: 1,
      budgetMs: ctx.budget(40_000),
    });
    const fwd = summarize(r.fwd.samples, r.fwd.warmup);
    const grad = summarize(r.grad.samples, r.grad.warmup);
    progress(`  tfjs fwd ${r.fwd.samples.map(fmtMs).join(', ')}; fwd+bwd ${r.grad.samples.map(fmtMs).join(', ')}`);
    t.rows.push([
      `TF.js ${r.backend} (tf.grads)`,
      `${fmtMs(fwd.median)} (n=${fwd.reps})`,
      `${fmtMs(grad.median)} (n=${grad.reps})`,
      fmtRatio(grad.median / fwd.median),
      String(r.layers),
      r18 ? fmtMs(r18.median) : 'n/a',
      r18 ? fmtRatio(r18.median / grad.median) : 'n/a',
      `Chromium ${browser.chromium}, ${browser.adapter}`,
    ]);
    t.notes.push(
      "TF.js net: torchvision ResNet-18 layout in tf ops (NHWC, BatchNorm folded into conv biases as in the ONNX export, random weights); a zero tensor is added to each of its 46 spatial layer outputs and tf.grads(logit[k]) w.r.t. those gives every layer's gradient in one forward + backward; awaited by reading a scalar of the last gradient computed. Its forward includes the 46 probe additions.",
      'camanim column: the ResNet-18 forward+backward of table 2a (Dawn in Node, a different process from Chromium; both on SwiftShader).',
    );
  } catch (e) {
    t.notes.push(`TensorFlow.js not measured: ${firstLine(e)}`);
  }
  return t;
}
