/**
 * `pnpm bench [--only forward,backward,cam,road,viewer-compute,flythrough,metrics,eval,cold,profile,throughput] [--profile] [--quick]
 *  [--no-browser] [--no-tfjs] [--web-all] [--scale X] [--road-layers K]`
 *
 * camanim against onnxruntime-node, onnxruntime-web (WebGPU in headless Chromium), TensorFlow.js
 * and PyTorch, each number measured in this one run on this machine. Tables (markdown) on
 * stdout; progress on stderr. Full-width ResNet-18/50 are exported to bench-models/ on demand.
 *   forward   forward latency, ResNet-18/50 at batch 1 and 8
 *   backward  forward+backward vs forward; all-layer vs per-layer gradient cost; TF.js row
 *   cam       GradCAM at every spatial layer of ResNet-50: camanim vs PyTorch per layer
 *   road      ybROAD of ResNet-50: camanim GPU imputation vs PyTorch + SciPy (subset, extrapolated)
 *   viewer-compute  the viewer's in-browser all-layer GradCAM (headless Chromium) vs the Node core
 *   flythrough      the viewer's frame time flying through a ResNet-50-shaped stack
 *   metrics   per-layer cost of ROAD, drop/increase/multconf, deletion, insertion, MPRT on 2 layers of
 *             ResNet-50: camanim vs PyTorch doing the same forwards (tools/bench_torch.py metrics, road)
 *   eval      camanim eval images/s (ybROAD), 1 process and --queue with 1 and 2 workers on a
 *             redis-server it starts: bundled model and ResNet-18, vs PyTorch + SciPy ROAD
 *   cold      a fresh `camanim explain` process on ResNet-50 (--quick: ResNet-18), startup vs
 *             throughput tiles, vs a fresh PyTorch process (tools/bench_torch.py cold)
 *   profile   (only with --profile or --only profile) GPU time per kernel kind of ResNet-50's forward +
 *             backward + every CAM, from timestamp queries: the top 10
 *   throughput  ResNet-50 forward at batch 32 (--quick: ResNet-18 at 8) vs PyTorch inference (fp32, TF32)
 * --quick: ResNet-18 only and fewer repetitions. --scale multiplies repetitions and budgets.
 */
import { execSync } from 'node:child_process';
import { acquireDevice, isCamanimError, Runtime } from '@camanim/core';
import { backwardSection } from './backward.ts';
import { camSection } from './cam.ts';
import { coldSection } from './cold.ts';
import { flythroughSection } from './flythrough.ts';
import { evalSection } from './eval.ts';
import { forwardSection } from './forward.ts';
import { Context } from './lib/context.ts';
import { cpuSummary, loadAverage, REPO } from './lib/env.ts';
import { progress } from './lib/measure.ts';
import { print, type Table } from './lib/table.ts';
import { metricsSection } from './metrics.ts';
import { profileSection } from './profile.ts';
import { roadSection } from './road.ts';
import { throughputSection } from './throughput.ts';
import { viewerComputeSection } from './viewer-compute.ts';

const SECTIONS = [
  'forward',
  'backward',
  'cam',
  'road',
  'viewer-compute',
  'flythrough',
  'metrics',
  'eval',
  'cold',
  'profile',
  'throughput',
] as const;
/** Sections that run only when asked for. */
const ON_REQUEST: readonly Section[] = ['profile'];
type Section = (typeof SECTIONS)[number];

const args = process.argv.slice(2);
const value = (flag: string) => {
  const i = args.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
  if (i < 0) return undefined;
  return args[i].includes('=') ? args[i].split('=')[1] : args[i + 1];
};
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(
    `usage: pnpm bench [--only ${SECTIONS.join(',')}] [--profile] [--quick] [--no-browser] [--no-tfjs] [--web-all] [--scale X] [--road-layers K]\n`,
  );
  process.exit(0);
}
const only = [
  ...((value('--only')
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean) ?? SECTIONS.filter((s) => !ON_REQUEST.includes(s))) as Section[]),
  ...(args.includes('--profile') ? (['profile'] as const) : []),
];
const unknown = only.filter((s) => !SECTIONS.includes(s));
if (unknown.length) {
  process.stderr.write(`unknown section(s) ${unknown.join(', ')}; known: ${SECTIONS.join(', ')}\n`);
  process.exit(2);
}
const scale = Number(value('--scale') ?? 1);
const roadLayers = value('--road-layers') ? Number(value('--road-layers')) : undefined;
const opts = {
  quick: args.includes('--quick'),
  noBrowser: args.includes('--no-browser'),
  noTfjs: args.includes('--no-tfjs'),
  webAll: args.includes('--web-all'),
  scale: scale > 0 ? scale : 1,
};

const device = await acquireDevice({ onNotice: (m) => progress(m) });
const ctx = new Context(opts, new Runtime(device));
const started = new Date();
process.stdout.write(`## camanim benchmarks${opts.quick ? ' (--quick)' : ''}\n\n`);
process.stdout.write(
  `${header()
    .map((l) => `- ${l}\n`)
    .join('')}\n`,
);

let failed = false;
try {
  for (const s of SECTIONS.filter((x) => only.includes(x))) {
    const load0 = loadAverage();
    progress(`section ${s} (load average ${load0})`);
    const t0 = performance.now();
    try {
      const tables: Table[] = [];
      if (s === 'forward') tables.push(await forwardSection(ctx));
      if (s === 'backward') tables.push(...(await backwardSection(ctx)));
      if (s === 'cam') tables.push(await camSection(ctx));
      if (s === 'road') tables.push(await roadSection(ctx, roadLayers));
      if (s === 'viewer-compute') tables.push(await viewerComputeSection(ctx));
      if (s === 'flythrough') tables.push(await flythroughSection(ctx));
      if (s === 'metrics') tables.push(await metricsSection(ctx));
      if (s === 'eval') tables.push(await evalSection(ctx));
      if (s === 'cold') tables.push(await coldSection(ctx));
      if (s === 'profile') tables.push(await profileSection(ctx));
      if (s === 'throughput') tables.push(await throughputSection(ctx));
      const secs = ((performance.now() - t0) / 1000).toFixed(0);
      for (const t of tables) {
        t.notes.push(`Section took ${secs} s; load average (1/5/15 min) ${load0} before, ${loadAverage()} after.`);
        print(t);
      }
    } catch (e) {
      failed = true;
      process.stdout.write(`### ${s}: failed\n\n${isCamanimError(e) ? e.message : (e as Error).stack}\n\n`);
    }
  }
} finally {
  await ctx.close();
}
progress(`done in ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s`);
// Dawn keeps the event loop alive; leave explicitly.
process.exit(failed ? 1 : 0);

function header(): string[] {
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: REPO, encoding: 'utf8' }).trim();
    if (execSync('git status --porcelain -- packages', { cwd: REPO, encoding: 'utf8' }).trim())
      commit += ' (packages/ has uncommitted changes)';
  } catch {
    // not a git checkout
  }
  return [
    `when: ${started.toISOString()}; commit ${commit}`,
    `machine: ${cpuSummary()}; load average at start ${loadAverage()} (the machine is shared: numbers under load are noisy)`,
    `node ${process.version}; camanim device: Dawn (webgpu npm) adapter "${device.adapterInfo}"${device.onCpu ? ' — a CPU Vulkan, not a GPU' : ''}`,
    'every ratio below compares numbers measured in this run',
  ];
}
