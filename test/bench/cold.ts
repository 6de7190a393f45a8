/**
 * Cold start: a fresh `camanim explain` process (Node start, tsx, Dawn, model decode, every
 * pipeline compiled, one forward, one backward, GradCAM at every layer, the GIF and the bundle)
 * on full-width ResNet-50 (`--quick`: ResNet-18), with the kernels' unroll budget for a quick
 * start (explain's default) and for throughput (CAMANIM_UNROLL=throughput, what explain used
 * before), the runs of the two interleaved. Peer: a fresh PyTorch CPU process doing the camanim
 * way (tools/bench_torch.py cold: import, load the state_dict, hooks on every layer, one forward
 * and one backward, every layer's GradCAM), which renders nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from './lib/context.ts';
import { benchModel, PYTHON, REPO, runProcess, withoutPyTorch } from './lib/env.ts';
import { fmtMs, fmtRatio, median, progress } from './lib/measure.ts';
import { table, type Table } from './lib/table.ts';

const BIN = join(REPO, 'packages/cli/bin/camanim.js');
const IMAGE = join(REPO, 'packages/cli/assets/samples/bag-0.png');
const VARIANTS = [
  { unroll: 'throughput', label: 'throughput tiles (CAMANIM_UNROLL=throughput: before)' },
  { unroll: 'startup', label: 'startup tiles (default: after)' },
] as const;

interface Cold {
  readonly wall: number;
  /** explain's own timings, seconds → ms, by label prefix. */
  readonly steps: Map<string, number>;
  readonly pipelines: number;
  readonly compileWait: number;
}

export async function coldSection(ctx: Context): Promise<Table> {
  const t = table('9. Cold start: a fresh `camanim explain` process, GradCAM at every layer (batch 1, 224×224, GIF + bundle)', [
    'model',
    'kernels',
    'wall (process)',
    'forward step',
    'backward + CAMs step',
    'frames + GIF',
    'pipelines',
    'waited for compiles',
    'vs throughput tiles',
    'vs PyTorch cold',
    'measured on',
  ]);
  const reps = ctx.reps(3, 3);
  for (const name of ctx.opts.quick ? ['resnet18'] : ['resnet50']) {
    const found = await benchModel(name);
    if ('skip' in found) {
      t.notes.push(`${name}: ${found.skip}`);
      continue;
    }
    const torch = withoutPyTorch(t) ? undefined : await torchCold(name, reps);
    const runs = new Map<string, Cold[]>(VARIANTS.map((v) => [v.unroll, []]));
    for (let r = 0; r < reps; r++) {
      for (const v of r % 2 ? [...VARIANTS].reverse() : VARIANTS) {
        progress(`cold ${name}, ${v.unroll} tiles, run ${r + 1}/${reps}`);
        runs.get(v.unroll)!.push(await explainCold(found.file, v.unroll));
      }
    }
    const wall = (u: string) => median(runs.get(u)!.map((c) => c.wall));
    for (const v of VARIANTS) {
      const cs = runs.get(v.unroll)!;
      const step = (prefix: string) =>
        median(cs.map((c) => [...c.steps].filter(([k]) => k.startsWith(prefix)).reduce((a, [, ms]) => a + ms, 0)));
      const w = wall(v.unroll);
      t.rows.push([
        name,
        v.label,
        `${fmtMs(w)} (n=${cs.length})`,
        fmtMs(step('forward')),
        fmtMs(step('gradcam')),
        fmtMs(step('frames') + step('gif')),
        String(cs[0].pipelines),
        `${fmtMs(median(cs.map((c) => c.compileWait)))} (${(100 * median(cs.map((c) => c.compileWait / c.wall))) | 0} % of wall)`,
        v.unroll === 'throughput' ? '1×' : fmtRatio(w / wall('throughput')),
        torch ? fmtRatio(w / torch.wall) : '—',
        ctx.adapter,
      ]);
    }
    if (torch) {
      t.rows.push([
        name,
        `PyTorch ${torch.version} CPU, fresh process: hooks on every layer, 1 fwd + 1 bwd, all GradCAMs`,
        `${fmtMs(torch.wall)} (n=${reps})`,
        `${fmtMs(torch.fwdBwd)} (fwd + bwd)`,
        `${fmtMs(torch.cams)} (CAMs)`,
        '(none)',
        '—',
        '—',
        '—',
        '1×',
        `CPU, torch.set_num_threads(2); import torch ${fmtMs(torch.import)}, load ${fmtMs(torch.load)}`,
      ]);
    }
  }
  t.notes.push(
    `camanim: \`node packages/cli/bin/camanim.js explain --model bench-models/<model>.onnx --preset imagenet --image ${IMAGE.slice(REPO.length + 1)} --out <new folder>\` (default method gradcam, every layer, GIF + bundle), wall time from spawn to exit; the steps are explain's own timings, medians; "waited for compiles" is the time Runtime.run waited for pipelines (explain's "pipelines:" line). Runs of the two tile budgets interleaved, new process each.`,
    'startup vs throughput tiles: the same kernels with smaller unrolled reduction steps (packages/shaders tile-profile.ts, STARTUP_UNROLL), outputs bit for bit the same (packages/core/test/tile-profiles.test.ts).',
    'PyTorch: `tools/bench_torch.py cold` in a new /usr/bin/python3 process, wall from spawn to exit, median; the state_dict saved beforehand (untimed) from the bench model; hooks on every Conv2d/BatchNorm2d/ReLU/MaxPool2d output (a superset of the ONNX layers); no rendering.',
  );
  return t;
}

async function explainCold(model: string, unroll: string): Promise<Cold> {
  const out = mkdtempSync(join(tmpdir(), 'camanim-cold-'));
  try {
    const t0 = performance.now();
    const r = await runProcess(
      process.execPath,
      [BIN, 'explain', '--model', model, '--preset', 'imagenet', '--image', IMAGE, '--out', join(out, 'o')],
      { env: { ...process.env, CAMANIM_UNROLL: unroll } },
    );
    const wall = performance.now() - t0;
    if (r.code !== 0)
      throw new Error(`camanim explain failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`);
    const steps = new Map<string, number>();
    for (const m of r.stderr.matchAll(/^ {2}(\S.*?)\s+([\d.]+) s$/gm)) steps.set(m[1], Number(m[2]) * 1000);
    const p = /pipelines: (\d+) compiled; the steps waited ([\d.]+) s/.exec(r.stderr);
    return { wall, steps, pipelines: Number(p?.[1] ?? Number.NaN), compileWait: Number(p?.[2] ?? Number.NaN) * 1000 };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

async function torchCold(
  name: string,
  reps: number,
): Promise<{ wall: number; import: number; load: number; fwdBwd: number; cams: number; version: string } | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'camanim-cold-torch-'));
  const script = join(REPO, 'tools', 'bench_torch.py');
  const weights = join(dir, `${name}.pt`);
  try {
    const saved = await runProcess(PYTHON, [script, 'cold', '--model', name, '--weights', weights, '--save']);
    if (saved.code !== 0) return undefined;
    const runs: { wall: number; j: Record<string, number | string> }[] = [];
    for (let r = 0; r < reps; r++) {
      progress(`cold ${name}, PyTorch, run ${r + 1}/${reps}`);
      const t0 = performance.now();
      const res = await runProcess(PYTHON, [script, 'cold', '--model', name, '--weights', weights]);
      if (res.code !== 0) return undefined;
      runs.push({ wall: performance.now() - t0, j: JSON.parse(res.stdout.trim().split('\n').pop()!) });
    }
    const med = (k: string) => median(runs.map((r) => Number(r.j[k])));
    return {
      wall: median(runs.map((r) => r.wall)),
      import: med('import_ms'),
      load: med('load_ms'),
      fwdBwd: med('fwd_bwd_ms'),
      cams: med('cams_ms'),
      version: String(runs[0].j.torch),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
