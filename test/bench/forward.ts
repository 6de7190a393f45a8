/**
 * Forward latency: camanim (Dawn) vs onnxruntime-node (CPU EP) vs onnxruntime-web (WebGPU EP in
 * headless Chromium), same .onnx, same input, logits read back to the host in every case.
 */
import { basename } from 'node:path';
import { benchInput, scaledError, type Context } from './lib/context.ts';
import { firstLine, fmtMs, fmtRatio, measure, progress, summarize, type Timing } from './lib/measure.ts';
import { table, type Table } from './lib/table.ts';

interface Row {
  model: string;
  batch: number;
  camanim?: Timing;
  ortNode?: Timing;
  ortWeb?: Timing;
  webAdapter?: string;
  checks: string[];
  skipped: string[];
}

export async function forwardSection(ctx: Context): Promise<Table> {
  const models = ctx.opts.quick ? ['resnet18'] : ['resnet18', 'resnet50'];
  const batches = [1, 8];
  const t = table('1. Forward latency (224×224, logits read back; median of N after warm-up)', [
    'model',
    'batch',
    'camanim',
    'ort-node CPU',
    'ort-web WebGPU',
    'camanim / ort-node',
    'camanim / ort-web',
    'logits vs ort-node',
    'measured on',
  ]);
  // Loaded here, not at module load: a machine without onnxruntime-node's binary (the GPU
  // machine) still runs the other sections and this one's camanim rows.
  const ort = await import('onnxruntime-node').catch((e: Error) => {
    t.notes.push(`ort-node not measured: onnxruntime-node failed to load (${e.message.split('\n')[0]})`);
    return undefined;
  });
  const browser = await ctx.chromium();
  const webB1 = new Map<string, number>();
  if ('skip' in browser) t.notes.push(`ort-web not measured: ${browser.skip}`);
  for (const name of models) {
    const m = await ctx.model(name);
    if ('skip' in m) t.notes.push(`${name}: ${m.skip}`);
    if (!m.file) continue;
    const model = 'model' in m ? m.model : undefined;
    const session = await ort?.InferenceSession.create(m.file, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: ctx.threads,
    });
    try {
      for (const batch of batches) {
        const row: Row = { model: name, batch, checks: [], skipped: [] };
        const x = benchInput(batch);
        const heavy = (name === 'resnet50' ? 2.3 : 1) * batch;
        const reps = ctx.reps(heavy > 4 ? 2 : 5, heavy > 4 ? 1 : 3);
        const budget = ctx.budget(heavy > 4 ? 30_000 : 20_000);
        let ours: Float32Array | undefined;
        if (model) {
          const outName = model.graph.outputs[0].name;
          progress(`forward ${name} b${batch}: camanim`);
          try {
            row.camanim = await measure(
              async () => {
                const run = await model.run(x);
                ours = (await run.read(outName)).data;
                run.dispose();
              },
              { reps, budgetMs: budget, label: `camanim ${name} b${batch}` },
            );
            ctx.results.set(`camanim-forward:${name}:${batch}`, row.camanim);
          } catch (e) {
            row.skipped.push(`camanim: ${firstLine(e)}`);
          }
        }
        let ref: Float32Array | undefined;
        if (ort && session) {
          progress(`forward ${name} b${batch}: onnxruntime-node`);
          row.ortNode = await measure(
            async () => {
              const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x.data, x.shape) });
              ref = out[session.outputNames[0]].data as Float32Array;
            },
            { reps, budgetMs: budget, label: `ort-node ${name} b${batch}` },
          );
          if (ours) row.checks.push(`camanim ${scaledError(ours, ref!).toExponential(1)}`);
        }
        const webReps = ctx.reps(heavy > 4 ? 1 : 2, 1);
        // onnxruntime-web on SwiftShader is slow (minutes a run at batch 8): skip a row whose
        // estimated cost (warm-up + reps, scaled from batch 1) exceeds the budget, saying so.
        const perRun = webB1.get(name) !== undefined ? webB1.get(name)! * batch : undefined;
        const estimate = perRun !== undefined ? perRun * (1 + webReps) : undefined;
        const webBudget = ctx.budget(300_000);
        if (!('skip' in browser) && estimate !== undefined && estimate > webBudget && !ctx.opts.webAll) {
          row.skipped.push(
            `ort-web not measured: warm-up + ${webReps} run(s) would take about ${fmtMs(estimate)} here (batch-1 time × ${batch}), over the ${fmtMs(webBudget)} budget of a browser row; pnpm bench --web-all measures it`,
          );
        } else if (!('skip' in browser)) {
          progress(
            `forward ${name} b${batch}: onnxruntime-web WebGPU in Chromium${estimate ? ` (about ${fmtMs(estimate)})` : ''}`,
          );
          try {
            const web = await browser.call<{ warmup: number[]; samples: number[]; logits: number[]; adapter?: string }>(
              'benchOrt',
              {
                model: basename(m.file),
                batch,
                warmup: 1,
                reps: webReps,
                minReps: 1,
                budgetMs: ctx.budget(heavy > 4 ? 60_000 : 40_000),
              },
            );
            if (batch === 1) webB1.set(name, summarize(web.samples).median);
            row.ortWeb = summarize(web.samples, web.warmup);
            row.webAdapter = web.adapter ?? browser.adapter;
            if (ref) row.checks.push(`ort-web ${scaledError(web.logits, ref.subarray(0, ref.length / batch)).toExponential(1)}`);
            progress(
              `  ort-web ${name} b${batch}: ${web.samples.map(fmtMs).join(', ')} (warm-up ${web.warmup.map(fmtMs).join(', ')})`,
            );
          } catch (e) {
            row.skipped.push(`ort-web: ${firstLine(e)}`);
          }
        }
        addRow(t, row, ctx);
      }
    } finally {
      await session?.release();
    }
  }
  t.notes.push(
    `camanim: @camanim/core on Dawn (webgpu npm), adapter "${ctx.adapter}"; model.run (input upload, every activation retained) + read of the logits, awaited.`,
    `ort-node: onnxruntime-node CPU EP, graphOptimizationLevel all, intraOpNumThreads ${ctx.threads}; session.run with the logits returned.`,
    'ort-web: onnxruntime-web WebGPU EP in headless Chromium (same .onnx served from 127.0.0.1); session.run with a CPU input tensor and the logits read back (getData), timed in the page with performance.now().',
    '"logits vs ort-node": max |Δ| / max |ort-node logit| on batch item 0 (the same deterministic input everywhere).',
  );
  return t;
}

function cell(x?: Timing): string {
  return x ? `${fmtMs(x.median)} (n=${x.reps})` : 'n/a';
}

function addRow(t: Table, r: Row, ctx: Context): void {
  const where = [
    `camanim: Dawn ${ctx.adapter}`,
    `ort-node: CPU×${ctx.threads}`,
    r.ortWeb ? `ort-web: Chromium ${r.webAdapter}` : '',
  ]
    .filter(Boolean)
    .join('; ');
  t.rows.push([
    r.model,
    String(r.batch),
    cell(r.camanim),
    cell(r.ortNode),
    cell(r.ortWeb),
    r.camanim && r.ortNode ? fmtRatio(r.camanim.median / r.ortNode.median) : 'n/a',
    r.camanim && r.ortWeb ? fmtRatio(r.camanim.median / r.ortWeb.median) : 'n/a',
    r.checks.join(', ') || 'n/a',
    where,
  ]);
  for (const s of r.skipped) t.notes.push(`${r.model} b${r.batch}: ${s}`);
}
