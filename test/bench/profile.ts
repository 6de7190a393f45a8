/**
 * Where the GPU time goes: forward + backward + GradCAM at every layer of ResNet-50
 * (--quick: ResNet-18) once with the runtime's kernel profiler on (timestamp queries, one pass
 * per dispatch), after a warm-up run that compiles every pipeline and one unprofiled run. The top kernels
 * by GPU time, summed by kind (the name before its shape) with the costliest shape of each.
 */
import { computeCams } from '@camanim/cam-methods';
import type { KernelTime } from '@camanim/core';
import { argmax, benchInput, type Context } from './lib/context.ts';
import { fmtMs, progress } from './lib/measure.ts';
import { table, type Table } from './lib/table.ts';

const TOP = 10;

export async function profileSection(ctx: Context): Promise<Table> {
  const name = ctx.opts.quick ? 'resnet18' : 'resnet50';
  const t = table(
    `10. Kernel profile: GPU time of forward + backward + GradCAM at every layer of ${name} (batch 1, 224×224), top ${TOP} kinds`,
    ['kernel kind', 'dispatches', 'GPU time', 'share', 'costliest shape (its time)', 'measured on'],
  );
  const m = await ctx.model(name);
  if ('skip' in m) {
    t.notes.push(`${name}: ${m.skip}`);
    return t;
  }
  const x = benchInput(1);
  const once = async () => {
    const t0 = performance.now();
    const run = await m.model.run(x);
    const cls = argmax((await run.read(m.model.graph.outputs[0].name)).data);
    await computeCams(run, { method: 'gradcam', target: { class: cls } });
    run.dispose();
    return performance.now() - t0;
  };
  progress(`profile ${name}: warm-up run (compiles the pipelines), then one unprofiled run`);
  await once();
  const plain = await once();
  const rt = ctx.runtime;
  rt.startProfile();
  let wall: number;
  let times: KernelTime[];
  try {
    progress(`profile ${name}: the profiled run`);
    wall = await once();
  } finally {
    times = rt.stopProfile();
  }
  const total = times.reduce((a, k) => a + k.ms, 0);
  const kinds = new Map<string, { dispatches: number; ms: number; top: KernelTime }>();
  for (const k of times) {
    const kind = k.kernel.split('[')[0].trim();
    const e = kinds.get(kind) ?? { dispatches: 0, ms: 0, top: k };
    e.dispatches += k.dispatches;
    e.ms += k.ms;
    if (k.ms > e.top.ms) e.top = k;
    kinds.set(kind, e);
  }
  for (const [kind, e] of [...kinds].sort((a, b) => b[1].ms - a[1].ms).slice(0, TOP)) {
    t.rows.push([
      kind,
      String(e.dispatches),
      fmtMs(e.ms),
      `${((100 * e.ms) / total).toFixed(1)} %`,
      `${e.top.kernel} (${fmtMs(e.top.ms)})`,
      ctx.adapter,
    ]);
  }
  t.notes.push(
    `All ${times.reduce((a, k) => a + k.dispatches, 0)} dispatches (${times.length} distinct kernels, ${kinds.size} kinds): ${fmtMs(total)} of GPU time. The profiled run took ${fmtMs(wall)} of wall time, the same run unprofiled ${fmtMs(plain)}: one pass per dispatch serialises the kernels.`,
    "Times from timestamp queries at the start and end of each dispatch's own compute pass (core Runtime.startProfile); where the implementation quantises timestamps (Dawn does by default), the shortest kernels read as 0.",
  );
  return t;
}
